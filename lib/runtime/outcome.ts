import { z } from "zod";
import { WriteLockStats } from "../store/write-lock.ts";

/** What became of one leased change. */
export const Outcome = z.object({
  id: z.string(),
  /** applied; queued (retry later); dead (dead letter); lost (another worker holds it now); held (released until a person acts). */
  status: z.enum(["applied", "queued", "dead", "lost", "held"]),
  code: z.string().nullable(),
  message: z.string().nullable(),
  apply_ms: z.number(),
  worker: z.string(),
});
export type Outcome = z.infer<typeof Outcome>;

/** Messages between the pool and its worker threads. */
export const ToWorker = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("start"),
    repo: z.string(),
    db: z.string(),
    worker: z.string(),
    validate: z.boolean(),
    commit: z.boolean(),
    /** Changes validated together (`run --batch`, config validation.batch.max). */
    batch: z.number().int().min(1).optional(),
    permits: z.custom<Int32Array>((v) => v instanceof Int32Array).optional(),
    /** `run --until-empty`: say "empty" and end when a lease finds nothing and nothing is in line. */
    untilEmpty: z.boolean(),
    writeLock: z.custom<SharedArrayBuffer>((v) => v instanceof SharedArrayBuffer),
    /** Set to 1 when the pool stops: a thread still starting sees it before its stop message. */
    stopped: z.custom<Int32Array>((v) => v instanceof Int32Array),
  }),
  z.object({ type: z.literal("stop") }),
]);
export type ToWorker = z.infer<typeof ToWorker>;

export const FromWorker = z.discriminatedUnion("type", [
  z.object({ type: z.literal("outcomes"), outcomes: z.array(Outcome) }),
  /** This worker leased nothing while nothing was queued or leased (`untilEmpty`); it stops next. */
  z.object({ type: z.literal("empty"), worker: z.string() }),
  z.object({ type: z.literal("stopped"), worker: z.string(), write_lock: WriteLockStats }),
  z.object({ type: z.literal("error"), worker: z.string(), code: z.string(), message: z.string() }),
]);
export type FromWorker = z.infer<typeof FromWorker>;
