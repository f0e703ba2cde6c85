import { describe, expect, test } from "bun:test";
import { HyperionError } from "../../lib/errors.ts";
import {
  durationMs,
  levelsFrom,
  parseChoice,
  parseDuration,
  parseLimit,
  parseSince,
} from "../../lib/ops/index.ts";

const NOW = Date.parse("2026-11-24T12:00:00Z");

const code = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(HyperionError);
    expect((e as HyperionError).exitCode).toBe(2);
    return (e as HyperionError).code;
  }
  return undefined;
};

describe("parseSince", () => {
  test("a duration counts back from now", () => {
    expect(parseSince("10m", NOW)).toBe(NOW - 600_000);
    expect(parseSince("2h", NOW)).toBe(NOW - 7_200_000);
    expect(parseSince("7d", NOW)).toBe(NOW - 7 * 86_400_000);
    expect(parseSince("30s", NOW)).toBe(NOW - 30_000);
    expect(parseSince("1w", NOW)).toBe(NOW - 7 * 86_400_000);
  });

  test("an ISO-8601 time or date is taken as written", () => {
    expect(parseSince("2026-11-24T10:00:00Z", NOW)).toBe(Date.parse("2026-11-24T10:00:00Z"));
    expect(parseSince("2026-11-24T10:00:00.250+02:00", NOW)).toBe(Date.parse("2026-11-24T08:00:00.250Z"));
    expect(parseSince("2026-11-20", NOW)).toBe(Date.parse("2026-11-20"));
  });

  test("anything else is E_SINCE, exit 2", () => {
    for (const bad of ["", "10", "10x", "-5m", "m", "yesterday", "2026-13-45", "11/24/2026", "1.5h", "May 3"])
      expect(code(() => parseSince(bad, NOW))).toBe("E_SINCE");
  });
});

describe("durations, limits and choices", () => {
  test("parseDuration names the flag it refuses", () => {
    expect(parseDuration("window", "5m")).toBe(300_000);
    expect(durationMs("7x")).toBeNull();
    expect(() => parseDuration("older-than", "week")).toThrow("--older-than 'week'");
  });

  test("parseLimit takes 1..100000 and defaults to 100", () => {
    expect(parseLimit(undefined)).toBe(100);
    expect(parseLimit("1")).toBe(1);
    expect(parseLimit("100000")).toBe(100_000);
    for (const bad of ["0", "-1", "1.5", "100001", "ten", ""])
      expect(code(() => parseLimit(bad))).toBe("E_LIMIT");
  });

  test("parseChoice refuses a value outside the list, naming the list", () => {
    expect(parseChoice("status", "queued", ["queued", "dead"])).toBe("queued");
    expect(parseChoice("status", undefined, ["queued"])).toBeUndefined();
    expect(() => parseChoice("status", "done", ["queued", "dead"])).toThrow("queued, dead");
  });

  test("a minimum log level includes the more severe ones", () => {
    expect(levelsFrom("warn")).toEqual(["warn", "error"]);
    expect(levelsFrom("debug")).toEqual(["debug", "info", "warn", "error"]);
  });
});
