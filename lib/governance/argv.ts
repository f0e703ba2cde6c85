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

/** Why a command line cannot run, or its argv: what `runnable` decides. */
export type Runnable = { ok: true; argv: string[] } | { ok: false; why: string };

/**
 * The one decision on whether a command line can run, used by `plan check`, `plan approve`
 * (through the plan's findings) and the runner alike, so a plan a person approved never holds a
 * command the runner then refuses. Splits it into argv the way a person reads it: whitespace
 * separates words, '...' and "..." group them. Printable ASCII only (a Cyrillic 'е' in
 * `bun tеst` looks like a command it is not); no expansion of any kind; shell syntax is refused.
 */
export const runnable = (line: string): Runnable => {
  const no = (why: string): Runnable => ({ ok: false, why });
  const bad = /[^\x20-\x7e\t]/.exec(line);
  if (bad) {
    const cp = bad[0].codePointAt(0)!;
    return no(
      `it holds the character U+${cp.toString(16).toUpperCase().padStart(4, "0")}; command lines are printable ASCII`,
    );
  }
  const argv: string[] = [];
  let word: string | null = null;
  let quote: "'" | '"' | null = null;
  const chars = [...line];
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i]!;
    if (quote) {
      if (ch === quote) quote = null;
      else if (quote === '"' && (ch === "$" || ch === "`" || ch === "\\"))
        return no(`'${ch}' inside double quotes`);
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
      const two = ch + (chars[i + 1] ?? "");
      const op = ["&&", "||", ">>", "<<", "$(", "${"].includes(two) ? two : ch;
      return no(
        `shell syntax '${op}' is not allowed (Hyperion runs no shell: enumerate each command on its own)`,
      );
    } else {
      word = (word ?? "") + ch;
    }
  }
  if (quote) return no("an unclosed quote");
  if (word !== null) argv.push(word);
  if (argv.length === 0) return no("it is empty");
  if (/^[A-Za-z_][A-Za-z0-9_]*=/.test(argv[0]!)) return no("environment assignments are not allowed");
  return { ok: true, argv };
};

/** runnable's argv, or E_COMMAND_NOT_ALLOWED with its reason. */
export const parseCommandLine = (line: string): string[] => {
  const r = runnable(line);
  if (!r.ok) throw refuse(line, r.why);
  return r.argv;
};

export const sameArgv = (a: readonly string[], b: readonly string[]): boolean =>
  a.length === b.length && a.every((w, i) => w === b[i]);
