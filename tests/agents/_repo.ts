import { cpSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import {
  type AgentContext,
  type AgentHarness,
  createStubHarness,
  type Enqueue,
} from "../../lib/agents/index.ts";
import { createQueue } from "../../lib/queue/index.ts";
import { submitChanges } from "../../lib/runtime/index.ts";
import { initRepo, openRepo, type Repo, readSecret } from "../../lib/store/index.ts";
import { ROOT, tmpdir } from "../_helpers.ts";

/**
 * A fresh, initialised repository (a copy of testapp, or the files given) at `<tmp>/repo`;
 * `outside` is `<tmp>`, for what must not be under the repository (stand-ins, state directories).
 */
export const repoFixture = async (files?: Record<string, string>) => {
  const dir = await tmpdir("hyperion-agents-");
  const path = join(dir.path, "repo");
  mkdirSync(path);
  if (files) {
    for (const [p, text] of Object.entries(files)) {
      mkdirSync(dirname(join(path, p)), { recursive: true });
      writeFileSync(join(path, p), text);
    }
  } else cpSync(join(ROOT, "testapp"), path, { recursive: true });
  initRepo({ repo: path });
  const repo = openRepo({ repo: path });
  return {
    path,
    outside: dir.path,
    repo,
    async [Symbol.asyncDispose]() {
      repo.db.close();
      await dir[Symbol.asyncDispose]();
    },
  };
};

export const contextFor = (
  repo: Repo,
  harness: AgentHarness = createStubHarness(),
  fallback = true,
): AgentContext => ({
  repo: repo.loc.repo,
  config: repo.config,
  harness,
  stub: createStubHarness(),
  fallback,
});

/** The submit path the command uses, failing on any refusal. */
export const enqueueInto =
  (repo: Repo): Enqueue =>
  (crs, opts) => {
    const queue = createQueue(repo.db, { secret: readSecret(repo.loc), config: repo.config.queue });
    const r = submitChanges(repo, queue, crs, opts);
    if (r.rejected.length > 0) throw new Error(`rejected: ${JSON.stringify(r.rejected)}`);
    return r.enqueued.map((e) => ({ id: e.id, task_id: e.task_id, paths: e.paths, status: e.status }));
  };
