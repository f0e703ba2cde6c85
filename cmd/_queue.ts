import { createQueue } from "../lib/queue/index.ts";
import { openRepo, readSecret } from "../lib/store/index.ts";

/** An initialised repository with its queue, for commands that read or move changes. */
export const openQueue = (opts: { repo?: string; db?: string }) => {
  const repo = openRepo(opts);
  const queue = createQueue(repo.db, { secret: readSecret(repo.loc), config: repo.config.queue });
  return { repo, queue, [Symbol.dispose]: () => repo[Symbol.dispose]() };
};
