import { usageError } from "../errors.ts";

// Characters a shell would act on. Hyperion never uses a shell, and refuses them rather than
// passing them through literally, so a plan line never means something other than it looks.
const META = new Set([...";&|<>()$`\\*?[]{}~!#\n\r"]);

const refuse = (line: string, why: string) =>
  usageError(
    "E_COMMAND_NOT_ALLOWED",
    `command '${line.slice(0, 200)}' refused: ${why}`,
    "run only commands enumerated in WORKPLAN.md's Commands section",
  );

/**
 * Splits a command line into argv the way a person reads it: whitespace separates words,
 * '...' and "..." group them. No expansion of any kind; shell syntax is refused.
 */
export const parseCommandLine = (line: string): string[] => {
  if (line.normalize("NFC") !== line) throw refuse(line, "it is not in Unicode normal form C");
  if (/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]/u.test(line)) {
    throw refuse(line, "it holds control or invisible characters");
  }
  const argv: string[] = [];
  let word: string | null = null;
  let quote: "'" | '"' | null = null;
  for (const ch of line) {
    if (quote) {
      if (ch === quote) quote = null;
      else if (quote === '"' && (ch === "$" || ch === "`" || ch === "\\"))
        throw refuse(line, `'${ch}' inside double quotes`);
      else word += ch;
      continue;
    }
    if (ch === "'" || ch === '"') {
      quote = ch;
      word ??= "";
    } else if (ch === " " || ch === "\t") {
      if (word !== null) argv.push(word);
      word = null;
    } else if (META.has(ch)) {
      throw refuse(line, `shell syntax '${ch === "\n" ? "\\n" : ch}' is not allowed`);
    } else {
      word = (word ?? "") + ch;
    }
  }
  if (quote) throw refuse(line, "an unclosed quote");
  if (word !== null) argv.push(word);
  if (argv.length === 0) throw refuse(line, "it is empty");
  if (/^[A-Za-z_][A-Za-z0-9_]*=/.test(argv[0]!))
    throw refuse(line, "environment assignments are not allowed");
  return argv;
};

export const sameArgv = (a: readonly string[], b: readonly string[]): boolean =>
  a.length === b.length && a.every((w, i) => w === b[i]);
