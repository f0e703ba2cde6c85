import { formatNumber, padLabel } from "./format.ts";
import { mean, sum } from "./math.ts";

/** A two-line report of a series. */
export function report(label: string, values: number[]): string {
  return [
    `${padLabel(label, 8)} total ${formatNumber(sum(values))}`,
    `${padLabel("", 8)} mean ${formatNumber(mean(values))}`,
  ].join("\n");
}
