import { convert } from "./hunks.ts";
import type { Hunk, ParsedPatch } from "./parse.ts";
import { splitLines } from "./text.ts";

/*
 * Where a stale patch's hunks could go in the file as it is, before jsdiff relocates them: jsdiff
 * takes the nearest place that fits, which is a guess when there are several (the hunk's context
 * repeats) and a second copy when the hunk's result already stands there.
 */

/** Comparisons past this budget give up (a hostile stale patch must not be quadratic). */
const budgetFor = (lines: number, patch: ParsedPatch) =>
  64 * (lines + 1) + 100 * patch.hunks.length + 1_000_000;

type Side = { text: string[]; context: boolean[] };

/** A hunk's old side (context and removed lines) with which of its lines are context. */
const oldSide = (h: Hunk, fix: (l: string) => string): Side => {
  const ops = h.lines.filter((l) => l[0] !== "+" && l[0] !== "\\").map((l) => l[0]);
  return { text: h.old.map(fix), context: h.old.map((_, k) => ops[k] === " ") };
};

/** A hunk's new side (context and added lines); all of it must match. */
const newSide = (h: Hunk, fix: (l: string) => string): Side => ({
  text: h.new.map(fix),
  context: h.new.map(() => false),
});

class OverBudget extends Error {}

/** Places at or after `from` where `side` stands with at most `fuzz` context lines differing. */
const placesOf = (
  lines: readonly string[],
  side: Side,
  fuzz: number,
  from: number,
  budget: { n: number },
) => {
  const found: number[] = [];
  const m = side.text.length;
  for (let p = from; p + m <= lines.length; p++) {
    let off = 0;
    let k = 0;
    for (; k < m; k++) {
      if (--budget.n < 0) throw new OverBudget();
      if (lines[p + k] === side.text[k]) continue;
      if (!side.context[k] || ++off > fuzz) break;
    }
    if (k === m) {
      found.push(p);
      if (found.length > 1) break; // two are enough to call it ambiguous
    }
  }
  return found;
};

/**
 * True when every hunk's result already stands in the file, in order: each hunk that adds lines
 * finds its whole new side, and a hunk that only removes lines finds its new side and no longer
 * its old one. Applying such a patch again would write its lines twice.
 */
export const alreadyStands = (current: string, patch: ParsedPatch): boolean => {
  if (patch.hunks.length === 0) return false;
  const lines = splitLines(current);
  const fix = convert(current, patch.hunks);
  const budget = { n: budgetFor(lines.length, patch) };
  try {
    let at = 0;
    for (const h of patch.hunks) {
      const next = newSide(h, fix);
      // Without context lines (`diff -U0`) the added lines alone could stand anywhere: cannot tell.
      if (!h.lines.some((l) => l[0] === " ")) return false;
      const [place] = placesOf(lines, next, 0, at, budget);
      if (place === undefined) return false;
      const adds = h.lines.some((l) => l[0] === "+");
      if (!adds && placesOf(lines, oldSide(h, fix), 0, 0, budget).length > 0) return false;
      at = place + next.text.length;
    }
    return true;
  } catch (e) {
    if (e instanceof OverBudget) return false;
    throw e;
  }
};

/**
 * How the hunks of a stale patch can be placed at `fuzz` differing context lines: "unique" when
 * every hunk fits at exactly one place (or is anchored by its line number: no old side),
 * "ambiguous" when some hunk fits at several (or the search ran over budget), "none" when
 * some hunk fits nowhere.
 */
export const placement = (
  current: string,
  patch: ParsedPatch,
  fuzz: number,
): "unique" | "ambiguous" | "none" => {
  const lines = splitLines(current);
  const fix = convert(current, patch.hunks);
  const budget = { n: budgetFor(lines.length, patch) };
  let none = false;
  try {
    for (const h of patch.hunks) {
      if (h.old.length === 0) continue;
      const n = placesOf(lines, oldSide(h, fix), fuzz, 0, budget).length;
      if (n > 1) return "ambiguous";
      if (n === 0) none = true;
    }
  } catch (e) {
    if (e instanceof OverBudget) return "ambiguous";
    throw e;
  }
  return none ? "none" : "unique";
};
