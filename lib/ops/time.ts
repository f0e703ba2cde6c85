import { usageError } from "../errors.ts";

const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;

/** `90s`, `10m`, `2h`, `7d`, `1w` in milliseconds; null when `text` is not such a duration. */
export const durationMs = (text: string): number | null => {
  const m = /^(\d{1,9})(s|m|h|d|w)$/.exec(text.trim());
  if (!m) return null;
  return Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
};

// A date, or a date and time with an optional zone; Date.parse alone accepts too much ("1", "May 3").
const ISO = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;

/** A flag's duration (`--window 5m`, `--older-than 7d`); exit 2 naming the flag otherwise. */
export const parseDuration = (flag: string, text: string): number => {
  const ms = durationMs(text);
  if (ms === null) {
    throw usageError(
      "E_DURATION",
      `--${flag} '${text}' is not a duration`,
      "use a number and a unit: 90s, 10m, 2h, 7d or 1w",
    );
  }
  return ms;
};

/**
 * `--since`: a duration back from `now` (10m, 2h, 7d) or an ISO-8601 date or time
 * (2026-11-24, 2026-11-24T12:00:00Z; without a zone it is local time). Epoch milliseconds.
 */
export const parseSince = (text: string, now: number = Date.now()): number => {
  const ms = durationMs(text);
  if (ms !== null) return now - ms;
  const t = ISO.test(text.trim()) ? Date.parse(text.trim()) : Number.NaN;
  if (Number.isNaN(t)) {
    throw usageError(
      "E_SINCE",
      `--since '${text}' is neither a duration nor an ISO-8601 time`,
      "use 10m, 2h, 7d or a time such as 2026-11-24T12:00:00Z",
    );
  }
  return t;
};

/** Epoch milliseconds as ISO-8601 (UTC), as JSON records carry them. */
export const iso = (ms: number): string => new Date(ms).toISOString();
export const isoOrNull = (ms: number | null): string | null => (ms === null ? null : iso(ms));

/** A short age for tables: 45s, 12m, 3h, 2d. */
export const age = (ms: number): string => {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 90) return `${s}s`;
  if (s < 3_600) return `${Math.round(s / 60)}m`;
  if (s < 172_800) return `${Math.round(s / 3_600)}h`;
  return `${Math.round(s / 86_400)}d`;
};
