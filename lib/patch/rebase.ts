import { applyPatch } from "diff";
import { fail } from "./codes.ts";
import { applyExact } from "./hunks.ts";
import { merge3 } from "./merge3.ts";
import type { ParsedPatch } from "./parse.ts";
import { printable } from "./paths.ts";

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
 * The file changed since the patch was made. First relocate the hunks (offset, then up to `fuzz`
 * differing context lines, via jsdiff); then, when the base content is on record, merge three
 * ways. Overlapping edits are a permanent E_CONFLICT carrying the conflicting hunks; with no
 * base to merge from, E_BASE_CHANGED, retryable.
 */
export const rebase = (
  path: string,
  current: string,
  patch: ParsedPatch,
  base: string | undefined,
  fuzz: number,
): Rebased => {
  for (let f = 0; f <= fuzz; f++) {
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
