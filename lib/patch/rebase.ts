import { applyPatch } from "diff";
import { fail } from "./codes.ts";
import { applyExact } from "./hunks.ts";
import { merge3 } from "./merge3.ts";
import type { ParsedPatch } from "./parse.ts";
import { printable } from "./paths.ts";
import { alreadyStands, placement } from "./places.ts";

export type Rebased = { content: string; how: "offset" | "fuzz" | "merge3" };

// jsdiff scans every offset for a hunk and branches on each fuzzed line; a hostile stale patch
// could make that quadratic. Comparisons past this budget give up as "cannot relocate".
const budgetFor = (current: string, patch: ParsedPatch) =>
  64 * (current.length + 1) + 100 * patch.hunks.length + 1_000_000;

const relocate = (current: string, patch: ParsedPatch, fuzz: number): string | false => {
  let budget = budgetFor(current, patch);
  try {
    return applyPatch(current, patch.structured, {
      fuzzFactor: fuzz,
      compareLine: (_n, line, _op, content) => {
        if (--budget < 0) throw new RangeError("budget");
        return line === content;
      },
    });
  } catch (e) {
    if (e instanceof RangeError) return false;
    throw e;
  }
};

/**
 * The file changed since the patch was made. A file that already holds the patch's result is
 * E_ALREADY_APPLIED. Otherwise relocate the hunks (offset, then up to `fuzz` differing context
 * lines, via jsdiff), but only where each hunk fits at one place; then, when the base content
 * is on record, merge three ways; a patch that fit at several places and has no base to merge
 * from is E_AMBIGUOUS. Overlapping edits are a permanent E_CONFLICT carrying the conflicting hunks; with no
 * base to merge from, E_BASE_CHANGED, retryable.
 */
export const rebase = (
  path: string,
  current: string,
  patch: ParsedPatch,
  base: string | undefined,
  fuzz: number,
): Rebased => {
  if (alreadyStands(current, patch)) {
    throw fail("E_ALREADY_APPLIED", `'${printable(path)}' already holds what the patch would add`, {
      hint: "the change (or a copy of it) was applied already; nothing was written",
      details: { path },
    });
  }
  // Relocate only to a place that is the only one: with several, the nearest is a guess.
  let ambiguous = false;
  for (let f = 0; f <= fuzz && !ambiguous; f++) {
    const where = placement(current, patch, f);
    if (where === "ambiguous") ambiguous = true;
    if (where !== "unique") continue;
    const out = relocate(current, patch, f);
    if (out !== false && out !== current) return { content: out, how: f === 0 ? "offset" : "fuzz" };
  }
  if (base !== undefined) {
    let theirs: string;
    try {
      theirs = applyExact(base, patch, path);
    } catch (e) {
      throw fail("E_CONFLICT", `the patch for '${printable(path)}' does not apply to its own recorded base`, {
        details: { path, cause: (e as Error).message },
      });
    }
    const merged = merge3(base, current, theirs);
    if (merged.ok) return { content: merged.content, how: "merge3" };
    throw fail(
      "E_CONFLICT",
      `'${printable(path)}' was changed where the patch changes it (${merged.conflicts.length} conflicting hunk${merged.conflicts.length === 1 ? "" : "s"}, first at line ${merged.conflicts[0]!.baseLine})`,
      {
        hint: "make the change again against the file as it is now",
        details: { path, conflicts: merged.conflicts },
      },
    );
  }
  if (ambiguous) {
    throw fail(
      "E_AMBIGUOUS",
      `'${printable(path)}' changed since the patch was made, and its hunks fit at more than one place`,
      {
        hint: "no recorded base to merge from; make the change again against the file as it is",
        details: { path },
      },
    );
  }
  let diagnosis: unknown;
  try {
    applyExact(current, patch, path);
  } catch (e) {
    diagnosis = (e as { details?: unknown }).details;
  }
  throw fail(
    "E_BASE_CHANGED",
    `'${printable(path)}' changed since the patch was made and its hunks no longer fit`,
    {
      hint: "it is retried; regenerate the patch if it keeps failing",
      details: { path, first_mismatch: diagnosis },
    },
  );
};
