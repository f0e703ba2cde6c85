import { z } from "zod";

/** What one doctor check found. */
export const Check = z.object({
  name: z.string().describe("Stable name: database, indexes, journal_mode, integrity, ..."),
  status: z.enum(["ok", "warn", "fail"]),
  summary: z.string().describe("One line on what was found."),
  fix: z.string().nullable().describe("One line on how to fix it; null when ok."),
  fixable: z.boolean().describe("`hyperion doctor --fix` repairs it."),
  details: z.record(z.string(), z.unknown()).optional(),
});
export type Check = z.infer<typeof Check>;

/** A repair `--fix` made. */
export const Repair = z.object({ name: z.string(), action: z.string() });
export type Repair = z.infer<typeof Repair>;

export const DoctorReport = z
  .object({
    ok: z.boolean().describe("No check failed (warnings allowed)."),
    repo: z.string(),
    db: z.string(),
    checks: z.array(Check),
    fixed: z.array(Repair).describe("What --fix repaired before the checks were run again."),
  })
  .meta({ title: "DoctorReport", description: "`hyperion doctor --format json`." });
export type DoctorReport = z.infer<typeof DoctorReport>;

export const ok = (name: string, summary: string, details?: Record<string, unknown>): Check => ({
  name,
  status: "ok",
  summary,
  fix: null,
  fixable: false,
  ...(details ? { details } : {}),
});

export const problem = (
  status: "warn" | "fail",
  name: string,
  summary: string,
  fix: string,
  fixable = false,
  details?: Record<string, unknown>,
): Check => ({ name, status, summary, fix, fixable, ...(details ? { details } : {}) });

/** Thresholds for "stuck" and "large": past these an operator should look. */
export const LIMITS = {
  /** A change held for a person this long is waiting on someone. */
  awaitingMs: 24 * 3_600_000,
  /** A due change nobody has leased for this long means no worker is running. */
  queuedMs: 3_600_000,
  /** A WAL this large means checkpoints are not keeping up (a long reader holds them back). */
  walBytes: 64 * 1024 * 1024,
} as const;
