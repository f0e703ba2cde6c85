import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { applyChange } from "../../lib/patch/index.ts";
import { createQueue } from "../../lib/queue/index.ts";
import { initRepo, openRepo, readSecret } from "../../lib/store/index.ts";
import { tmpdir } from "../_helpers.ts";

/** An initialised repository with a real database, its queue and key. */
export const repoWith = async (files: Record<string, string>) => {
  const dir = await tmpdir("hyperion-hostile-");
  for (const [p, c] of Object.entries(files)) writeFileSync(join(dir.path, p), c);
  initRepo({ repo: dir.path });
  const repo = openRepo({ repo: dir.path });
  const secret = readSecret(repo.loc);
  const queue = createQueue(repo.db, { secret, config: repo.config.queue });
  return {
    dir: dir.path,
    repo,
    secret,
    queue,
    apply: (row: { id: string; payload: string; signature: string }) =>
      applyChange({ repo: dir.path, db: repo.db, secret, change: row }),
    async [Symbol.asyncDispose]() {
      repo.db.close();
      await dir[Symbol.asyncDispose]();
    },
  };
};

export { thrown } from "../_helpers.ts";
