/** Aligned plain-text tables for people; colour only when writing to a terminal. */

import { safeText } from "../safe-text.ts";

const CODES = { red: 31, green: 32, yellow: 33, blue: 34, magenta: 35, cyan: 36, dim: 2, bold: 1 } as const;
export type Colour = keyof typeof CODES;

export type Column<R> = {
  header: string;
  value: (row: R) => string | number | null;
  /** Colour of a cell, by its value (statuses, levels). */
  colour?: (row: R) => Colour | undefined;
  /** Right-align numbers. */
  right?: boolean;
  /** Longest cell before it is cut with '…' (free text such as summaries and errors). */
  max?: number;
};

/** Colour when the stream is a terminal and NO_COLOR is unset (https://no-color.org). */
export const colourFor = (stream: { isTTY?: boolean } = process.stdout): boolean =>
  stream.isTTY === true && !process.env.NO_COLOR;

export const paint = (text: string, colour: Colour | undefined, on: boolean): string =>
  on && colour ? `\x1b[${CODES[colour]}m${text}\x1b[0m` : text;

// Cells hold agents' summaries, error messages and paths: escape sequences in them are shown escaped.
const cell = (v: string | number | null, max?: number): string => {
  const s = v === null ? "-" : safeText(String(v).replace(/\s+/g, " "));
  return max !== undefined && s.length > max ? `${s.slice(0, max - 1)}…` : s;
};

/** Renders rows under a header; widths are measured before colour so columns line up. */
export const renderTable = <R>(columns: Column<R>[], rows: R[], opts: { colour: boolean }): string => {
  const cells = rows.map((r) => columns.map((c) => cell(c.value(r), c.max)));
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((row) => row[i]!.length)));
  const pad = (s: string, i: number) =>
    columns[i]!.right ? s.padStart(widths[i]!) : i === columns.length - 1 ? s : s.padEnd(widths[i]!);
  const header = columns.map((c, i) => paint(pad(c.header.toUpperCase(), i), "bold", opts.colour));
  const body = cells.map((row, r) =>
    row.map((s, i) => paint(pad(s, i), columns[i]!.colour?.(rows[r]!), opts.colour)).join("  "),
  );
  return [header.join("  "), ...body].map((l) => l.trimEnd()).join("\n");
};

const STATUS_COLOURS: Record<string, Colour> = {
  queued: "yellow",
  leased: "cyan",
  applied: "green",
  dead: "red",
  awaiting_approval: "magenta",
  needs_clarification: "magenta",
  rejected: "red",
  rolled_back: "blue",
  enqueued: "green",
  error: "red",
  warn: "yellow",
  debug: "dim",
  ok: "green",
  fail: "red",
};

/** The colour a status, level or check outcome is shown in. */
export const statusColour = (status: string): Colour | undefined => STATUS_COLOURS[status];
