import { usageError } from "../errors.ts";

// POSIX bracket classes as the seed plan writes them (`[[:space:]]`), in JavaScript terms.
const CLASSES: Record<string, string> = {
  alnum: "a-zA-Z0-9",
  alpha: "a-zA-Z",
  blank: " \\t",
  cntrl: "\\x00-\\x1f\\x7f",
  digit: "0-9",
  graph: "\\x21-\\x7e",
  lower: "a-z",
  print: "\\x20-\\x7e",
  punct: "!-\\/:-@\\[-`{-~",
  space: "\\s",
  upper: "A-Z",
  xdigit: "0-9A-Fa-f",
};

/** More unbounded quantifiers than this make even a short line cost n^k steps. */
const MAX_UNBOUNDED = 3;

/**
 * Why a pattern could backtrack catastrophically, or null: a repeated group that holds a
 * quantifier or an alternation (`(a+)+`, `(a|a)*`: exponential), or more than MAX_UNBOUNDED
 * unbounded quantifiers (polynomial of high degree). Read over the source with escapes and
 * bracket expressions skipped; anything it misses is still stopped by the matching budget.
 */
export const backtrackingRisk = (source: string): string | null => {
  const groups: boolean[] = []; // per open group: holds a quantifier or an alternation
  let unbounded = 0;
  let lastGroupRisky = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i]!;
    const afterGroup = lastGroupRisky;
    lastGroupRisky = false;
    if (c === "\\") {
      i++;
      continue;
    }
    if (c === "[") {
      // A bracket expression: up to its closing ']' (a ']' first, or after '^', is literal).
      let j = i + 1;
      if (source[j] === "^") j++;
      if (source[j] === "]") j++;
      while (j < source.length && source[j] !== "]") {
        // A class name ([:space:]) holds no ']' of its own; an unclosed one is one character.
        const end = source[j] === "[" && source[j + 1] === ":" ? source.indexOf(":]", j + 2) : -1;
        j = end === -1 ? j + 1 : end + 2;
      }
      i = j;
      continue;
    }
    if (c === "(") groups.push(false);
    else if (c === ")") lastGroupRisky = groups.pop() ?? false;
    else if (c === "|") {
      if (groups.length) groups[groups.length - 1] = true;
    } else if (
      c === "*" ||
      c === "+" ||
      (c === "{" && /^\{\d+,\d*\}/.test(source.slice(i)) && !/^\{(\d+),\1\}/.test(source.slice(i)))
    ) {
      if (afterGroup) return "a repeated group holds a quantifier or an alternation";
      if (c !== "{" || /^\{\d+,\}/.test(source.slice(i))) unbounded++;
      if (unbounded > MAX_UNBOUNDED) return `it has more than ${MAX_UNBOUNDED} unbounded quantifiers`;
      if (groups.length) groups[groups.length - 1] = true;
    }
  }
  return null;
};

/** Compiles an extended regular expression that may use POSIX bracket classes. */
export const compilePosixRegex = (source: string, line?: number): RegExp => {
  const risk = backtrackingRisk(source);
  if (risk) {
    throw usageError(
      "E_PLAN_PATTERN",
      `the approval pattern${line ? ` on line ${line}` : ""} can take exponential time: ${risk}`,
      "write a simpler `Approval pattern:` (such as ^Approved:[[:space:]]+yes$)",
    );
  }
  const translated = source.replace(/\[:([a-z]+):\]/g, (whole, name: string) => {
    const cls = CLASSES[name];
    if (cls === undefined) {
      throw usageError(
        "E_PLAN_PATTERN",
        `unknown character class ${whole} in the approval pattern${line ? ` (line ${line})` : ""}`,
      );
    }
    return cls;
  });
  try {
    return new RegExp(translated, "u");
  } catch (e) {
    throw usageError(
      "E_PLAN_PATTERN",
      `the approval pattern${line ? ` on line ${line}` : ""} is not a valid regular expression: ${(e as Error).message}`,
      "fix `Approval pattern:` in Plan Metadata",
    );
  }
};
