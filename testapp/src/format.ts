/** Formats a number with two decimals. */
export function formatNumber(value: number): string {
  return value.toFixed(2);
}

/** Pads a label to a fixed width. */
export function padLabel(label: string, width: number): string {
  return label.padEnd(width, " ");
}
