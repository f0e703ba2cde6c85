import { usageError } from "../errors.ts";

/** Most rows one listing returns, whatever `--limit` asks. */
export const MAX_LIMIT = 100_000;

/** A whole-number flag from `min` to `max`; E_LIMIT naming the flag as given. Every count flag is read here. */
export const parseWhole = (
  flag: string,
  text: string | undefined,
  range: { min: number; max?: number },
): number | undefined => {
  if (text === undefined) return undefined;
  const max = range.max ?? Number.MAX_SAFE_INTEGER;
  const n = /^-?\d+$/.test(text.trim()) ? Number(text.trim()) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < range.min || n > max) {
    const bounds = range.max === undefined ? `>= ${range.min}` : `from ${range.min} to ${max}`;
    throw usageError(
      "E_LIMIT",
      `--${flag} '${text}' is not a whole number ${bounds}`,
      `pass e.g. --${flag} ${Math.max(range.min, Math.min(50, max))}`,
    );
  }
  return n;
};

/** A number of seconds (fractions allowed) above zero, in milliseconds. */
export const parseSeconds = (flag: string, text: string | undefined, fallbackSeconds: number): number => {
  const n = text === undefined ? fallbackSeconds : Number(text);
  if (!Number.isFinite(n) || n <= 0)
    throw usageError(
      "E_LIMIT",
      `--${flag} '${text}' is not a positive number of seconds`,
      `pass e.g. --${flag} 2`,
    );
  return Math.round(n * 1000);
};

/** `--limit N` (or another count flag): a whole number from 1 to MAX_LIMIT. */
export const parseLimit = (text: string | undefined, fallback = 100, flag = "limit"): number =>
  parseWhole(flag, text, { min: 1, max: MAX_LIMIT }) ?? fallback;

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
