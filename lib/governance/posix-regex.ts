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

/** Compiles an extended regular expression that may use POSIX bracket classes. */
export const compilePosixRegex = (source: string, line?: number): RegExp => {
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
