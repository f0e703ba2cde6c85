import { colourFor, paint, statusColour } from "../table.ts";
import type { DoctorReport } from "./types.ts";

/** The report for a person: one line per check, its fix beneath, a count at the end. */
export const renderDoctor = (r: DoctorReport, colour = colourFor(process.stdout)): string => {
  const width = Math.max(...r.checks.map((c) => c.name.length));
  const lines = r.fixed.map((f) => `${paint("fixed", "green", colour)} ${f.name}: ${f.action}`);
  for (const c of r.checks) {
    const tag = c.status === "ok" ? "ok  " : c.status.toUpperCase();
    lines.push(
      `${paint(tag, statusColour(c.status) ?? "yellow", colour)}  ${c.name.padEnd(width)}  ${c.summary}`,
    );
    if (c.fix) lines.push(`${" ".repeat(width + 8)}fix: ${c.fix}`);
  }
  const fails = r.checks.filter((c) => c.status === "fail").length;
  const warns = r.checks.filter((c) => c.status === "warn").length;
  lines.push(
    fails + warns === 0
      ? `all ${r.checks.length} checks ok`
      : `${fails} failed, ${warns} ${warns === 1 ? "warning" : "warnings"}${r.checks.some((c) => c.fixable) ? "; `hyperion doctor --fix` repairs those marked so" : ""}`,
  );
  return lines.join("\n");
};
