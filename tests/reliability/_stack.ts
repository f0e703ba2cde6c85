import { Database } from "bun:sqlite";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { createQueue } from "../../lib/queue/index.ts";
import { startRun } from "../../lib/runtime/index.ts";
import { initRepo, openRepo, readSecret } from "../../lib/store/index.ts";
import { tmpdir } from "../_helpers.ts";

/** A repository with these files and this `.hyperion/config.json` (merged over the defaults), its queue open. */
export const stackRepo = async (files: Record<string, string>, config: object = {}) => {
  const dir = await tmpdir("hyperion-stack-");
  for (const [p, c] of Object.entries(files)) {
    mkdirSync(dirname(join(dir.path, p)), { recursive: true });
    writeFileSync(join(dir.path, p), c);
  }
  initRepo({ repo: dir.path });
  writeFileSync(join(dir.path, ".hyperion", "config.json"), JSON.stringify(config));
  const repo = openRepo({ repo: dir.path });
  const queue = createQueue(repo.db, { secret: readSecret(repo.loc), config: repo.config.queue });
  return {
    dir: dir.path,
    repo,
    queue,
    /** `hyperion run --until-empty` on one real worker thread; its summary record. */
    run: () =>
      startRun({
        repo: dir.path,
        workers: 1,
        untilEmpty: true,
        progressIntervalMs: 60_000,
        onProgress: () => {},
        watch: false,
      }).done,
    /** Change ids in the order their `applied` events were written. */
    appliedOrder: (): string[] => {
      const d = new Database(repo.loc.db, { readonly: true });
      try {
        return d
          .query<{ change_id: string }, []>(
            "SELECT change_id FROM change_queue_logs WHERE event = 'applied' ORDER BY id",
          )
          .all()
          .map((r) => r.change_id);
      } finally {
        d.close();
      }
    },
    async [Symbol.asyncDispose]() {
      repo.db.close();
      await dir[Symbol.asyncDispose]();
    },
  };
};
