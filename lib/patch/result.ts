import type { FileChange } from "../schema/index.ts";
import { fail } from "./codes.ts";
import { sha256Hex } from "./hash.ts";
import { applyExact } from "./hunks.ts";
import type { ParsedPatch } from "./parse.ts";
import { printable } from "./paths.ts";

/**
 * The content a change leaves when applied to the base it names (for a create, "" or the copy
 * source's content): exact hunks, a real change, and new_sha256 matching. Null for a delete.
 */
export const resultOnBase = (fc: FileChange, p: ParsedPatch | null, base: string): string | null => {
  if (fc.operation === "delete") {
    if (p && applyExact(base, p, fc.path) !== "") {
      throw fail("E_OP_MISMATCH", `the delete patch for '${printable(fc.path)}' leaves content behind`, {
        details: { path: fc.path },
      });
    }
    return null;
  }
  if (p === null) return base; // a rename without a patch moves the content as it is
  // A create starts empty, except a git copy, which starts as its source (`base` is then that).
  const out = applyExact(fc.operation === "create" && p.copyFrom === undefined ? "" : base, p, fc.path);
  // A rename moves the file and a mode line changes its mode: neither needs a changed line.
  const moves = fc.operation === "rename" || (p.hunks.length === 0 && p.newMode !== undefined);
  if (fc.operation === "modify" && out === base && !moves) {
    throw fail("E_NOOP", `the patch for '${printable(fc.path)}' leaves the file as it was`, {
      details: { path: fc.path },
    });
  }
  const sha = sha256Hex(out);
  if (sha !== fc.new_sha256) {
    throw fail(
      "E_HASH_MISMATCH",
      `the patch for '${printable(fc.path)}' gives sha256 ${sha}, not new_sha256 ${fc.new_sha256}`,
      {
        hint: "compute new_sha256 over the file's bytes after the patch",
        details: { path: fc.path, expected: fc.new_sha256, found: sha },
      },
    );
  }
  return out;
};
