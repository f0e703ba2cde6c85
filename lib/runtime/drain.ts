import type { createApplier } from "./applier.ts";
import type { Outcome } from "./outcome.ts";

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Changes one worker leases at a time when they can be applied together. */
export const BATCH = 32;

/** Takes up to `want` permits; returns how many it got. */
const take = (permits: Int32Array, want: number): number => {
  for (;;) {
    const left = Atomics.load(permits, 0);
    if (left <= 0) return 0;
    const got = Math.min(left, want);
    if (Atomics.compareExchange(permits, 0, left, left - got) === left) return got;
  }
};

/**
 * The loop every worker runs: take permits (when `--max-changes` set a budget), lease and handle
 * a batch of changes, report them together (one message per batch from a worker thread). Polls
 * fast while there is work and backs off to 100 ms when idle.
 */
export const drain = async (
  applier: ReturnType<typeof createApplier>,
  stopping: () => boolean,
  permits: Int32Array | undefined,
  report: (batch: Outcome[]) => void,
): Promise<void> => {
  let idle = 1;
  let slept = 0;
  while (!stopping()) {
    const want = permits ? take(permits, BATCH) : BATCH;
    if (want === 0) return;
    // How long the worker slept before this poll is its poll interval (queue-metrics shows it).
    const outcomes = await applier.process(want, slept);
    if (permits && outcomes.length < want) Atomics.add(permits, 0, want - outcomes.length);
    if (outcomes.length === 0) {
      await pause(idle);
      slept = idle;
      idle = Math.min(idle * 2, 100);
      continue;
    }
    idle = 1;
    slept = 0;
    report(outcomes);
    if (outcomes.some((o) => o.status === "held")) return;
  }
};
