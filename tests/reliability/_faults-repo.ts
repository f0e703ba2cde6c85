import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { approvePlan } from "../../lib/governance/index.ts";
import { createQueue, type Queue } from "../../lib/queue/index.ts";
import type { ChangeRequest } from "../../lib/schema/index.ts";
import { initRepo, openRepo, readSecret } from "../../lib/store/index.ts";
import { tmpdir } from "../_helpers.ts";

/** A WORKPLAN.md in the seed's format whose Commands are `commands` and Validation policy `validation`. */
export const planText = (commands: string[], validation: string[]) => `# WORKPLAN — faults

## Plan Metadata
Approval pattern: ^Approved:[[:space:]]+yes$
Required sections: Commands, Validation, Approval
Validation policy: ${validation.join("; ")}

## Commands
${commands.join("\n")}

## Validation
${validation.join("\n")}

## Approval
Approved: yes
`;

export type RepoOptions = {
  files?: Record<string, string>;
  /** Directories made before `init` (`.git` makes it a git repository to init). */
  dirs?: string[];
  /** Overrides merged into sections of .hyperion/config.json. */
  config?: { queue?: object; limits?: object; governance?: object; git?: object; workers?: number };
  /** A plan approved by "test"; its validation commands run after each apply. */
  plan?: { commands: string[]; validation: string[] };
};

/**
 * A repository under `<tmp>/repo` (beside it `<tmp>/m`, a directory for markers that is outside
 * the tree), initialised, with config overrides and an approved plan.
 */
export const faultRepo = async (opts: RepoOptions = {}) => {
  const dir = await tmpdir("hyperion-faults-");
  const root = join(dir.path, "repo");
  const marks = join(dir.path, "m");
  mkdirSync(root);
  mkdirSync(marks);
  for (const d of opts.dirs ?? []) mkdirSync(join(root, d), { recursive: true });
  for (const [path, content] of Object.entries(opts.files ?? {})) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  initRepo({ repo: root });
  const cfgPath = join(root, ".hyperion/config.json");
  const cfg = JSON.parse(readFileSync(cfgPath, "utf8"));
  for (const [k, v] of Object.entries(opts.config ?? {})) {
    cfg[k] = typeof v === "object" ? { ...cfg[k], ...v } : v;
  }
  writeFileSync(cfgPath, JSON.stringify(cfg, null, 2));
  const repo = openRepo({ repo: root });
  if (opts.plan) {
    writeFileSync(join(root, "WORKPLAN.md"), planText(opts.plan.commands, opts.plan.validation));
    approvePlan(root, repo.db, "test");
  }
  const secret = readSecret(repo.loc);
  const queue: Queue = createQueue(repo.db, { secret, config: repo.config.queue });
  return {
    root,
    marks,
    db: repo.loc.db,
    repo,
    secret,
    queue,
    enqueue: (crs: ChangeRequest[]) => queue.enqueue(crs),
    read: (p: string) => readFileSync(join(root, p), "utf8"),
    status: (id: string) => queue.get(id)?.status,
    journal: (id: string) =>
      repo.db
        .query<{ kind: string; state: string }, [string]>(
          "SELECT kind, state FROM apply_journal WHERE change_id = ? ORDER BY id",
        )
        .all(id),
    async [Symbol.asyncDispose]() {
      repo[Symbol.dispose]();
      await dir[Symbol.asyncDispose]();
    },
  };
};

/** Polls `cond` until it holds; fails after `ms` (a cap against hangs, not a speed target). */
export const until = async (cond: () => boolean, what: string, ms = 30_000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(10);
  }
};
