import { z } from "zod";
import type { Config } from "../schema/config.ts";
import { Risk } from "../schema/index.ts";
import { ChangeRow, ChangeStatus, DeadLetterRow, LogRow } from "../store/queue/rows.ts";

export { ChangeStatus };

/** The queue section of `.hyperion/config.json`. */
export type QueueConfig = Config["queue"];

/** Options of one `enqueue` call, applied to every change of the batch. */
export const EnqueueOptions = z.object({
  priority: z.number().int().optional().describe("Higher leases first; default 0."),
  maxAttempts: z.number().int().min(1).max(100).optional().describe("Attempts before a dead letter."),
  risk: Risk.optional(),
  riskScore: z.number().optional(),
  status: z
    .enum(["queued", "awaiting_approval"])
    .optional()
    .describe("awaiting_approval holds it for a person."),
  results: z
    .array(z.map(z.string(), z.string()).optional())
    .optional()
    .describe(
      "Per change request, in order: the content it leaves at each file (by file key), as validation computed it; kept while the change is open, for the changes stacked on it.",
    ),
});
export type EnqueueOptions = z.infer<typeof EnqueueOptions>;

/** What enqueue reports for each change it stored. */
export const Enqueued = z.object({
  id: z.string(),
  seq: z.number().int(),
  task_id: z.string(),
  status: z.enum(["queued", "awaiting_approval"]),
  paths: z.array(z.string()),
});
export type Enqueued = z.infer<typeof Enqueued>;

/** A change as a worker holds it: the signed payload and the fencing token to present back. */
export const Leased = z.object({
  id: z.string(),
  seq: z.number().int(),
  task_id: z.string(),
  token: z.number().int().describe("Fencing token: complete, fail, heartbeat and release must present it."),
  owner: z.string(),
  attempts: z.number().int().describe("Including this one."),
  max_attempts: z.number().int(),
  leased_until: z.number().int(),
  priority: z.number().int(),
  payload: z.string().describe("The ChangeRequest as JSON, exactly as signed."),
  payload_sha256: z.string(),
  signature: z.string(),
  risk: Risk,
  risk_score: z.number(),
  needs_rebase: z.boolean().describe("A file it touches was edited outside Hyperion since it was queued."),
  enqueued_at: z.number().int(),
});
export type Leased = z.infer<typeof Leased>;

/** A change as listings and `get` show it. */
export const QueueChange = ChangeRow.omit({ ready: true, needs_rebase: true }).extend({
  needs_rebase: z.boolean(),
});
export type QueueChange = z.infer<typeof QueueChange>;

/** Why a lease attempt or an apply failed, as a worker reports it. */
export const Failure = z.object({
  code: z.string().describe("Stable reason code, e.g. E_CONFLICT."),
  message: z.string(),
  retryable: z.boolean().describe("True when trying again later may succeed."),
  details: z.unknown().optional(),
});
export type Failure = z.infer<typeof Failure>;

export const DeadLetter = DeadLetterRow;
export type DeadLetter = z.infer<typeof DeadLetter>;

/** One event of change_queue_logs with its JSON data parsed. */
export const QueueLogEntry = LogRow.omit({ data: true }).extend({ data: z.record(z.string(), z.unknown()) });
export type QueueLogEntry = z.infer<typeof QueueLogEntry>;

/** What one archive run did (or, with dryRun, would do). */
export const ArchiveResult = z.object({
  moved: z.number().int().describe("Changes moved to the archive."),
  logs: z.number().int().describe("Log events moved with them (and old events of no change)."),
  modifications: z
    .number()
    .int()
    .describe("External edits moved: file modifications that no change made, recorded by the watcher."),
  batches: z.number().int(),
  file: z.string().describe("The archive database."),
  reclaimed_bytes: z
    .number()
    .int()
    .describe("Bytes the live database (with its WAL) shrank by once the moved rows' pages were freed."),
  dry_run: z.boolean(),
});
export type ArchiveResult = z.infer<typeof ArchiveResult>;
