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

/**
 * Periodic status: NDJSON on stdout with `--format json`; otherwise one line on stderr, redrawn
 * in place on a terminal and appended elsewhere.
 */
export const createProgress = (opts: {
  format: "text" | "json";
  workers: number;
  counts: () => { queued: number; leased: number; awaiting_approval: number };
  tty?: boolean;
}) => {
  const started = performance.now();
  const tty = opts.tty ?? process.stderr.isTTY === true;
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
    /** One interval's line. */
    tick(tally: Tally): void {
      const r = record("progress", tally);
      if (opts.format === "json") process.stdout.write(`${JSON.stringify(r)}\n`);
      else process.stderr.write(tty ? `\r\x1b[2K${textLine(r)}` : `${textLine(r)}\n`);
    },
    /** The final summary; returns it for the caller's exit code. */
    finish(tally: Tally, exitCode: number, lock: WriteLockStats): ProgressRecord {
      const ms = (v: number) => Math.round(v * 10) / 10;
      const r: ProgressRecord = {
        ...record("summary", tally),
        exit_code: exitCode,
        write_lock: { holds: lock.holds, held_ms: ms(lock.held_ms), wait_ms: ms(lock.wait_ms) },
      };
      if (opts.format === "json") process.stdout.write(`${JSON.stringify(r)}\n`);
      else process.stderr.write(`${tty ? "\r\x1b[2K" : ""}done: ${textLine(r)}\n`);
      return r;
    },
  };
};
