/**
 * The one way text that came from outside (agent prose, summaries, file names, command output,
 * error messages built from them) reaches a terminal: nothing in it can act on the terminal.
 * Escape sequences (clipboard writes by OSC 52, window titles by OSC 0, clear-screen), other
 * controls, bidi overrides and invisible characters are shown as escapes; in paths, characters
 * that look like ASCII letters from other scripts are shown as code points.
 */

export type SafeTextOptions = {
  /** Keep newlines and tabs as they are (multi-line text such as a summary); default false. */
  multiline?: boolean;
  /** A file name or path: look-alike letters and backslashes are escaped too. */
  path?: boolean;
  /** Longest text shown, in code points, before it is cut with '…'. */
  max?: number;
};

// Controls (C0, DEL, C1), format characters (bidi embeddings and isolates, zero-width ones, the
// soft hyphen), line and paragraph separators, lone surrogates and unassigned code points.
const UNSAFE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}\p{Cn}]/u;
// Scripts with letters drawn like Latin ones (Cyrillic 'а', Greek 'ο'), combining marks, and
// compatibility forms (fullwidth 'ａ', mathematical '𝐚') that a path would show as ASCII.
const LOOKALIKE =
  /[\p{Script=Cyrillic}\p{Script=Greek}\p{Script=Armenian}\p{Script=Cherokee}\p{Script=Coptic}\p{M}]/u;

const PLAIN = /^[\x20-\x5b\x5d-\x7e]*$/;

const SHORT: Record<string, string> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };

const codePoint = (c: string): string => `\\u{${c.codePointAt(0)!.toString(16)}}`;

const escapeOne = (c: string, opts: SafeTextOptions): string => {
  if (opts.multiline && (c === "\n" || c === "\t")) return c;
  const cp = c.codePointAt(0)!;
  if (cp < 0x20 || cp === 0x7f) return SHORT[c] ?? `\\x${cp.toString(16).padStart(2, "0")}`;
  if (UNSAFE.test(c)) return codePoint(c);
  if (opts.path) {
    if (c === "\\") return "\\\\";
    if (cp > 0x7f && (LOOKALIKE.test(c) || c.normalize("NFKC") !== c)) return codePoint(c);
  }
  return c;
};

/** Text from outside, safe to print: see the module comment. ASCII text without controls is returned as is. */
export const safeText = (text: string, opts: SafeTextOptions = {}): string => {
  if (PLAIN.test(text) && (opts.max === undefined || text.length <= opts.max)) return text;
  let out = "";
  let n = 0;
  // Iterating a string yields code points, and a lone surrogate as itself.
  for (const c of text) {
    if (opts.max !== undefined && n >= opts.max) return `${out}…`;
    out += escapeOne(c, opts);
    n++;
  }
  return out;
};
