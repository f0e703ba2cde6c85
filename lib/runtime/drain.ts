import type { createApplier } from "./applier.ts";
import type { Outcome } from "./outcome.ts";

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The loop every worker runs: take a permit (when `--max-changes` set a budget), lease and
 * handle one change, report it. Polls fast while there is work and backs off to 100 ms when idle.
 */
export const drain = async (
  applier: ReturnType<typeof createApplier>,
  stopping: () => boolean,
  permits: Int32Array | undefined,
  report: (o: Outcome) => void,
): Promise<void> => {
  let idle = 1;
  while (!stopping()) {
    if (permits && Atomics.sub(permits, 0, 1) <= 0) {
      Atomics.add(permits, 0, 1);
      return;
    }
    const outcome = await applier.processOne();
    if (!outcome) {
      if (permits) Atomics.add(permits, 0, 1);
      await pause(idle);
      idle = Math.min(idle * 2, 100);
      continue;
    }
    idle = 1;
    report(outcome);
    if (outcome.status === "held") return;
  }
};
