import { fail } from "./codes.ts";
import type { Hunk, ParsedPatch } from "./parse.ts";
import { printable } from "./paths.ts";
import { splitLines } from "./text.ts";

// A file "uses" an ending only when it has at least one line ending that way and none the other.
const BARE_LF = /(^|[^\r])\n/;
const crlfOnly = (text: string) => text.includes("\r\n") && !BARE_LF.test(text);
const lfOnly = (text: string) => text.includes("\n") && !text.includes("\r\n");
const same = (l: string) => l;

/**
 * A patch written with LF against a CRLF file (or the reverse) is read in the file's line
 * endings, as jsdiff's autoConvertLineEndings does, so the file keeps its endings. The patch's
 * lines are looked at first: the file is scanned only when they all end one way.
 */
export const convert = (source: string, hunks: readonly Hunk[]): ((l: string) => string) => {
  let lf = 0;
  let crlf = 0;
  const tally = (lines: readonly string[]) => {
    for (let k = 0; k < lines.length; k++) {
      const l = lines[k]!;
      if (l.charCodeAt(l.length - 1) !== 0x0a) continue;
      if (l.charCodeAt(l.length - 2) === 0x0d) crlf++;
      else lf++;
    }
  };
  for (const h of hunks) {
    tally(h.old);
    tally(h.new);
  }
  if (lf > 0 && crlf === 0 && crlfOnly(source))
    return (l) => (l.endsWith("\n") ? `${l.slice(0, -1)}\r\n` : l);
  if (crlf > 0 && lf === 0 && lfOnly(source)) return (l) => (l.endsWith("\r\n") ? `${l.slice(0, -2)}\n` : l);
  return same;
};

/**
 * Applies hunks exactly where their headers say, every old line matching. Linear in the file and
 * patch, and used whenever the base hash matched: a patch made against this content has no reason
 * to need an offset. Throws E_PATCH_MISMATCH naming the hunk, the line, expected and found text.
 */
export const applyExact = (source: string, patch: ParsedPatch, path: string): string => {
  const lines = splitLines(source);
  const fix = convert(source, patch.hunks);
  const out: string[] = [];
  let at = 0;
  patch.hunks.forEach((h, n) => {
    if (h.pos > lines.length) {
      throw mismatch(path, n, h, h.pos + 1, "(a line)", "(end of file)");
    }
    for (let k = at; k < h.pos; k++) out.push(lines[k]!);
    h.old.forEach((want, k) => {
      const found = lines[h.pos + k];
      if (found !== fix(want)) throw mismatch(path, n, h, h.pos + k + 1, fix(want), found ?? "(end of file)");
    });
    at = h.pos + h.old.length;
    const last = h.new.at(-1);
    if (last !== undefined && !last.endsWith("\n") && at !== lines.length) {
      throw mismatch(path, n, h, at + 1, "(end of file)", lines[at]!);
    }
    for (const l of h.new) out.push(fix(l));
  });
  for (let k = at; k < lines.length; k++) out.push(lines[k]!);
  const result = out.join("");
  // A file whose last line lost its newline would otherwise glue onto the next line.
  if (out.some((l, k) => k < out.length - 1 && !l.endsWith("\n"))) {
    throw fail(
      "E_PATCH_MISMATCH",
      `the patch for '${printable(path)}' leaves a line without its newline mid-file`,
      {
        details: { path },
      },
    );
  }
  return result;
};

/**
 * The content a patch was applied to, from the content it left: its hunks the other way round,
 * each at the line where the applied patch left it. Exact like applyExact.
 */
export const reverseExact = (result: string, patch: ParsedPatch, path: string): string => {
  let shift = 0;
  const hunks = patch.hunks.map((h) => {
    const back = { ...h, pos: h.pos + shift, old: h.new, new: h.old };
    shift += h.new.length - h.old.length;
    return back;
  });
  return applyExact(result, { ...patch, hunks }, path);
};

const mismatch = (path: string, n: number, h: Hunk, line: number, expected: string, found: string) =>
  fail(
    "E_PATCH_MISMATCH",
    `hunk ${n + 1} (${h.header}) of '${printable(path)}' does not match line ${line}: expected '${printable(expected.slice(0, 80))}', found '${printable(found.slice(0, 80))}'`,
    {
      hint: "make the patch against the file as it is (base_sha256 names that content)",
      details: { path, hunk: n + 1, header: h.header, line, expected, found },
    },
  );
