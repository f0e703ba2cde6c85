import { bold, dim, fg, parseColor, StyledText, type TextChunk } from "@opentui/core";

/** One line of a pane: styled pieces. */
export type Line = TextChunk[];

export const COLORS = {
  accent: "#5fafff",
  muted: "#808080",
  ok: "#5fd75f",
  warn: "#d7af00",
  bad: "#ff5f5f",
  held: "#d75fd7",
  info: "#5fd7d7",
  selectBg: "#303a4a",
  overlayBg: "#101418",
} as const;

/** Each change status has one colour, everywhere it is shown. */
export const STATUS_COLOR: Record<string, string> = {
  queued: COLORS.warn,
  leased: COLORS.info,
  applied: COLORS.ok,
  dead: COLORS.bad,
  awaiting_approval: COLORS.held,
  rejected: COLORS.muted,
  rolled_back: COLORS.accent,
  failed: COLORS.bad,
  partially_applied: COLORS.warn,
  needs_clarification: COLORS.held,
  enqueued: COLORS.warn,
  no_changes: COLORS.muted,
  archived: COLORS.muted,
  error: COLORS.bad,
  warn: COLORS.warn,
  info: COLORS.info,
  debug: COLORS.muted,
};

export const plain = (text: string): TextChunk => fg("#d0d0d0")(text);
export const muted = (text: string): TextChunk => dim(fg(COLORS.muted)(text));
export const strong = (text: string): TextChunk => bold(fg("#ffffff")(text));
export const colored = (color: string, text: string): TextChunk => fg(color)(text);
export const status = (s: string, width = 0): TextChunk => fg(STATUS_COLOR[s] ?? "#d0d0d0")(s.padEnd(width));

/** A cell of `width` columns: cut with '…' when too long, padded when short. */
export const cell = (text: string, width: number): string =>
  text.length > width ? `${text.slice(0, Math.max(0, width - 1))}…` : text.padEnd(width);

/** Cuts a line's chunks to `width` columns so nothing wraps. */
export const clip = (line: Line, width: number): Line => {
  const outLine: Line = [];
  let left = width;
  for (const c of line) {
    if (left <= 0) break;
    if (c.text.length <= left) {
      outLine.push(c);
      left -= c.text.length;
    } else {
      outLine.push({ ...c, text: `${c.text.slice(0, Math.max(0, left - 1))}…` });
      left = 0;
    }
  }
  return outLine;
};

/** The text of some lines without styles: what a frame shows, and what decides whether to redraw. */
export const textOf = (lines: Line[]): string => lines.map((l) => l.map((c) => c.text).join("")).join("\n");

/** Lines as one StyledText for a TextRenderable. */
export const styled = (lines: Line[]): StyledText =>
  new StyledText(lines.flatMap((l, i) => (i === 0 ? l : [plain("\n"), ...l])));

const SELECT_BG = parseColor(COLORS.selectBg);

/** A line drawn as selected: its chunks on the selection background. */
export const selected = (line: Line, width: number): Line => {
  const used = line.reduce((n, c) => n + c.text.length, 0);
  const padded = used < width ? [...line, plain(" ".repeat(width - used))] : line;
  return padded.map((c) => ({ ...c, bg: SELECT_BG }));
};

/** Breaks a line into rows of at most `width` columns, at spaces where it can (the detail pane wraps, so nothing is cut off). */
export const wrap = (line: Line, width: number): Line[] => {
  if (width <= 0) return [line];
  const rows: Line[] = [[]];
  let left = width;
  for (const c of line) {
    let text = c.text;
    while (text.length > left) {
      // Break after the last space that fits, else mid-word (a long path or hash).
      const space = text.lastIndexOf(" ", left);
      const cut = space > 0 ? space + 1 : left;
      rows.at(-1)!.push({ ...c, text: text.slice(0, cut) });
      rows.push([]);
      text = text.slice(cut);
      left = width;
    }
    if (text) rows.at(-1)!.push({ ...c, text });
    left -= text.length;
  }
  return rows;
};
