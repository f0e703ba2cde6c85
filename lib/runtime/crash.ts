import { hostname } from "node:os";
import { settleChanges } from "../patch/index.ts";
import { createQueue } from "../queue/index.ts";
import { openRepo } from "../store/index.ts";
import { readSecret } from "../store/workspace.ts";

/**
 * What a worker thread that died mid-lease leaves behind is repaired at once, not after its
 * leases expire: its half-done journal entries are settled (as recovery would: forward when
 * complete, else back), then its leases go back to the queue, each attempt counted (a change
 * that keeps killing its workers ends as a dead letter). Returns how many leases it held.
 */
export const releaseCrashed = (opts: { repo: string; db: string }, owner: string): number => {
  const repo = openRepo({ repo: opts.repo, db: opts.db });
  try {
    const queue = createQueue(repo.db, { secret: readSecret(repo.loc), config: repo.config.queue });
    const ids = queue.leasedBy(owner);
    // Journal entries of this process for these changes can only be the dead thread's: only
    // the holder of a change's lease applies it.
    const ours = `${hostname()}:${process.pid}:`;
    settleChanges(
      { repo: repo.loc.repo, db: repo.db, limits: repo.config.limits },
      ids,
      (o) => o.startsWith(ours),
      "forward",
    );
    return queue.reclaimOwner(owner);
  } finally {
    repo[Symbol.dispose]();
  }
};
