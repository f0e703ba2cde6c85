import { z } from "zod";
import { CHANGE_STATUS_VALUES } from "../ddl/statuses.ts";

/** A change's status; listings and `--status` filters use these words. */
export const ChangeStatus = z.enum(CHANGE_STATUS_VALUES);
export type ChangeStatus = z.infer<typeof ChangeStatus>;

const int = z.number().int();
const flag = z.union([z.literal(0), z.literal(1)]);

/** One row of change_queue as it is read back (parsed: rows on disk are not trusted blindly). */
export const ChangeRow = z.object({
  seq: int,
  id: z.string(),
  task_id: z.string(),
  request_id: z.string().nullable(),
  agent: z.string().nullable(),
  summary: z.string().nullable(),
  status: ChangeStatus,
  priority: int,
  attempts: int,
  max_attempts: int,
  available_at: int,
  leased_until: int.nullable(),
  lease_owner: z.string().nullable(),
  lease_token: int,
  ready: flag,
  payload: z.string(),
  payload_sha256: z.string(),
  signature: z.string(),
  risk: z.enum(["low", "medium", "high"]),
  risk_score: z.number(),
  needs_rebase: flag,
  last_error: z.string().nullable(),
  enqueued_at: int,
  leased_at: int.nullable(),
  finished_at: int.nullable(),
  updated_at: int,
});
export type ChangeRow = z.infer<typeof ChangeRow>;

/** Where a whole change is read from: its row and, stored apart since version 3, its signed payload. */
export const CHANGE_FROM = "change_queue c JOIN change_payloads p ON p.payload_id = c.payload_id";

/** The columns of a change, for SELECT lists over CHANGE_FROM. */
export const CHANGE_COLUMNS = Object.keys(ChangeRow.shape)
  .map((k) => (k === "payload" || k === "signature" ? `p.${k}` : `c.${k}`))
  .join(", ");

/** A change_queue row as enqueue writes it (seq is assigned by SQLite). */
export type NewChangeRow = Omit<
  ChangeRow,
  | "seq"
  | "ready"
  | "lease_token"
  | "leased_until"
  | "lease_owner"
  | "leased_at"
  | "finished_at"
  | "last_error"
  | "attempts"
  | "needs_rebase"
>;

export const LogRow = z.object({
  id: int,
  change_id: z.string().nullable(),
  ts: int,
  level: z.string(),
  event: z.string(),
  worker: z.string().nullable(),
  data: z.string(),
});
export type LogRow = z.infer<typeof LogRow>;

export const DeadLetterRow = z.object({
  change_id: z.string(),
  reason_code: z.string(),
  message: z.string(),
  last_error: z.string().nullable(),
  attempts: int,
  dead_at: int,
});
export type DeadLetterRow = z.infer<typeof DeadLetterRow>;
