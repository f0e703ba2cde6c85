import { diffArrays } from "diff";
import { splitLines } from "./text.ts";

/** A region of the base both sides changed differently. Lines keep their terminators. */
export type MergeConflict = { baseLine: number; base: string[]; ours: string[]; theirs: string[] };

type Edit = { start: number; end: number; lines: string[] };

/** The edits that turn `base` into `other`, as base ranges and their replacements. */
const edits = (base: string[], other: string[]): Edit[] => {
  const out: Edit[] = [];
  let b = 0;
  let pending: Edit | undefined;
  for (const c of diffArrays(base, other)) {
    if (!c.added && !c.removed) {
      if (pending) out.push(pending);
      pending = undefined;
      b += c.count;
      continue;
    }
    pending ??= { start: b, end: b, lines: [] };
    if (c.removed) {
      b += c.count;
      pending.end = b;
    } else pending.lines.push(...c.value);
  }
  if (pending) out.push(pending);
  return out;
};

const same = (a: Edit, b: Edit) =>
  a.start === b.start &&
  a.end === b.end &&
  a.lines.length === b.lines.length &&
  a.lines.every((l, i) => l === b.lines[i]);

/**
 * Line-based three-way merge. Edits of ours and theirs that overlap or touch conflict unless
 * they are the same edit, as in diff3 and git: adjacent edits are not guessed at.
 */
export const merge3 = (
  base: string,
  ours: string,
  theirs: string,
): { ok: true; content: string } | { ok: false; conflicts: MergeConflict[] } => {
  const b = splitLines(base);
  const o = edits(b, splitLines(ours));
  const t = edits(b, splitLines(theirs));
  const all = [...o.map((e) => ({ e, side: 0 })), ...t.map((e) => ({ e, side: 1 }))].sort(
    (x, y) => x.e.start - y.e.start || x.e.end - y.e.end,
  );
  const out: string[] = [];
  const conflicts: MergeConflict[] = [];
  let at = 0;
  let i = 0;
  while (i < all.length) {
    const group = [all[i]!];
    let end = all[i]!.e.end;
    for (i++; i < all.length && all[i]!.e.start <= end; i++) {
      group.push(all[i]!);
      end = Math.max(end, all[i]!.e.end);
    }
    const start = group[0]!.e.start;
    for (let k = at; k < start; k++) out.push(b[k]!);
    const sides = new Set(group.map((g) => g.side));
    if (sides.size === 1 || (group.length === 2 && same(group[0]!.e, group[1]!.e))) {
      // One side's edits only (they never overlap each other), or both made the same edit.
      let k = start;
      for (const { e } of sides.size === 1 ? group : [group[0]!]) {
        for (; k < e.start; k++) out.push(b[k]!);
        out.push(...e.lines);
        k = e.end;
      }
      for (; k < end; k++) out.push(b[k]!);
    } else {
      const pick = (side: number) => {
        const lines: string[] = [];
        let k = start;
        for (const { e } of group.filter((g) => g.side === side)) {
          for (; k < e.start; k++) lines.push(b[k]!);
          lines.push(...e.lines);
          k = e.end;
        }
        for (; k < end; k++) lines.push(b[k]!);
        return lines;
      };
      conflicts.push({ baseLine: start + 1, base: b.slice(start, end), ours: pick(0), theirs: pick(1) });
    }
    at = end;
  }
  for (let k = at; k < b.length; k++) out.push(b[k]!);
  return conflicts.length > 0 ? { ok: false, conflicts } : { ok: true, content: out.join("") };
};
