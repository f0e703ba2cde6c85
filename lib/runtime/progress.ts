import { z } from "zod";
import { WriteLockStats } from "../store/write-lock.ts";

export const Tally = z.object({
  applied: z.number(),
  retried: z.number(),
  dead: z.number(),
  held: z.number(),
  lost: z.number(),
});
export type Tally = z.infer<typeof Tally>;

/** A change that needs a person after a run, with the command that moves it on. */
export const Problem = z.object({
  id: z.string(),
  status: z.enum(["dead", "held", "awaiting_approval"]),
  code: z.string().nullable(),
  message: z.string().nullable(),
});
export type Problem = z.infer<typeof Problem>;

export const ProgressRecord = z.object({
  type: z.enum(["progress", "summary"]),
  ts: z.string(),
  elapsed_ms: z.number(),
  workers: z.number(),
  ...Tally.shape,
  queued: z.number(),
  leased: z.number(),
  awaiting_approval: z.number(),
  throughput_per_s: z.number(),
  delta: Tally,
  exit_code: z.number().optional(),
  /** Summary only: each change this run left for a person (dead, held) and those awaiting approval. */
  problems: z.array(Problem).optional(),
  /** Summary only: true when a signal stopped the run before the queue was drained. */
  interrupted: z.boolean().optional(),
  /** Summary only: the workers' use of the database's write lock (one writer at a time). */
  write_lock: WriteLockStats.optional(),
});
export type ProgressRecord = z.infer<typeof ProgressRecord>;

export const emptyTally = (): Tally => ({ applied: 0, retried: 0, dead: 0, held: 0, lost: 0 });

const diff = (a: Tally, b: Tally): Tally => ({
  applied: a.applied - b.applied,
  retried: a.retried - b.retried,
  dead: a.dead - b.dead,
  held: a.held - b.held,
  lost: a.lost - b.lost,
});

export const textLine = (r: ProgressRecord): string =>
  [
    `applied ${r.applied} (+${r.delta.applied})`,
    `retried ${r.retried}`,
    `dead ${r.dead}`,
    `queued ${r.queued}`,
    `leased ${r.leased}`,
    ...(r.awaiting_approval ? [`awaiting approval ${r.awaiting_approval}`] : []),
    ...(r.held ? [`held ${r.held}`] : []),
    `${r.throughput_per_s.toFixed(1)}/s`,
    `${r.workers} worker${r.workers === 1 ? "" : "s"}`,
    ...(r.write_lock && r.elapsed_ms > 0
      ? [`write lock busy ${Math.round((100 * r.write_lock.held_ms) / r.elapsed_ms)}%`]
      : []),
  ].join(" · ");

/** The next command for a change a run left behind. */
export const nextStep = (p: Problem): string =>
  p.status === "dead"
    ? `see \`hyperion dead-letters\`, then \`hyperion retry ${p.id}\``
    : p.status === "awaiting_approval"
      ? `\`hyperion summary ${p.id}\`, then \`hyperion approve ${p.id}\` or \`hyperion reject ${p.id}\``
      : `check \`hyperion plan check\`, approve the plan, then \`hyperion run\``;

/** One line per change a run left for a person: what, why, and what to run next. */
export const problemLine = (p: Problem): string =>
  `${p.id} ${p.status === "awaiting_approval" ? "awaits approval" : p.status}${p.code ? `: ${p.code}` : ""}${p.message ? ` ${p.message}` : ""} (${nextStep(p)})`;

/**
 * Periodic status as records: `emit` gets one per interval and the summary at the end; the caller
 * (a command, the dashboard) decides how to show them.
 */
export const createProgress = (opts: {
  workers: number;
  counts: () => { queued: number; leased: number; awaiting_approval: number };
  emit: (r: ProgressRecord) => void;
}) => {
  const started = performance.now();
  let last = emptyTally();

  const record = (type: ProgressRecord["type"], tally: Tally): ProgressRecord => {
    const elapsed = performance.now() - started;
    const r: ProgressRecord = {
      type,
      ts: new Date().toISOString(),
      elapsed_ms: Math.round(elapsed),
      workers: opts.workers,
      ...tally,
      ...opts.counts(),
      throughput_per_s: elapsed > 0 ? Math.round((tally.applied / elapsed) * 1e4) / 10 : 0,
      delta: diff(tally, last),
    };
    last = { ...tally };
    return r;
  };

  return {
    /** One interval's record. */
    tick(tally: Tally): void {
      opts.emit(record("progress", tally));
    },
    /** The final summary; returns it for the caller's exit code. */
    finish(
      tally: Tally,
      end: { exit_code: number; problems: Problem[]; interrupted: boolean },
      lock: WriteLockStats,
    ): ProgressRecord {
      const ms = (v: number) => Math.round(v * 10) / 10;
      const r: ProgressRecord = {
        ...record("summary", tally),
        ...end,
        write_lock: { holds: lock.holds, held_ms: ms(lock.held_ms), wait_ms: ms(lock.wait_ms) },
      };
      opts.emit(r);
      return r;
    },
  };
};
