import { usageError } from "../errors.ts";

/** Most rows one listing returns, whatever `--limit` asks. */
export const MAX_LIMIT = 100_000;

/** `--limit N`: a whole number from 1 to MAX_LIMIT. */
export const parseLimit = (text: string | undefined, fallback = 100): number => {
  if (text === undefined) return fallback;
  const n = /^\d+$/.test(text.trim()) ? Number(text.trim()) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < 1 || n > MAX_LIMIT) {
    throw usageError(
      "E_LIMIT",
      `--limit '${text}' is not a whole number from 1 to ${MAX_LIMIT}`,
      "pass e.g. --limit 50",
    );
  }
  return n;
};

/** A flag whose value must be one of `options` (statuses, levels); exit 2 naming them. */
export const parseChoice = <const T extends string>(
  flag: string,
  text: string | undefined,
  options: readonly T[],
): T | undefined => {
  if (text === undefined) return undefined;
  if ((options as readonly string[]).includes(text)) return text as T;
  throw usageError("E_FILTER", `--${flag} '${text}' is not one of ${options.join(", ")}`, `pick one of them`);
};

/** A free-text filter (an agent name, a request or change id): non-empty when given. */
export const parseText = (flag: string, text: string | undefined): string | undefined => {
  if (text === undefined) return undefined;
  if (text.trim() === "")
    throw usageError("E_FILTER", `--${flag} is empty`, `pass a value or leave --${flag} out`);
  return text;
};

/** Log levels, least severe first; `--level warn` shows warn and error. */
export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const levelsFrom = (min: LogLevel): LogLevel[] => LOG_LEVELS.slice(LOG_LEVELS.indexOf(min));
