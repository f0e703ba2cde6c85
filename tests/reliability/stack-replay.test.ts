import { expect, setDefaultTimeout, test } from "bun:test";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { approveChange } from "../../lib/governance/index.ts";
import { createQueue } from "../../lib/queue/index.ts";
import { startRun, submitChanges } from "../../lib/runtime/index.ts";
import { initRepo, openRepo, readSecret } from "../../lib/store/index.ts";
import { tmpdir } from "../_helpers.ts";
import { git, historyAsChanges, treeOf } from "../_history.ts";

// Real git, real Worker threads on a shared machine: a cap against hangs, not a speed target.
setDefaultTimeout(60_000);

const FILES = ["held/config.txt", "src/a.txt", "src/b.txt"];

/** A history of stacked edits to three files, one of them in a directory the policy holds. */
const makeHistory = (repo: string, commits: number) => {
  const write = (p: string, text: string) => {
    mkdirSync(dirname(join(repo, p)), { recursive: true });
    writeFileSync(join(repo, p), text);
  };
  for (const p of FILES) write(p, `${Array.from({ length: 12 }, (_, l) => `${p} line ${l}`).join("\n")}\n`);
  git(repo, ["init", "-q", "-b", "main"]);
  const commit = (msg: string) => {
    git(repo, ["add", "-A"]);
    git(repo, ["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", msg]);
  };
  commit("base");
  for (let c = 0; c < commits; c++) {
    // Every third commit edits the held file with a source file: it waits for a person, and the
    // commits after it on that source file are stacked on it.
    const paths = c % 3 === 0 ? [FILES[0]!, FILES[1 + (c % 2)]!] : [FILES[1 + (c % 2)]!];
    for (const p of paths) {
      const lines = readFileSync(join(repo, p), "utf8").split("\n");
      lines[(c * 5) % (lines.length - 1)] = `edit ${c}`;
      lines.splice((c * 7) % lines.length, 0, `insert ${c}`);
      write(p, lines.join("\n"));
    }
    commit(`change ${c}`);
  }
};

test("a stacked history with held commits: run leaves their stacks waiting, each approval drains its stack, the tree ends as git's", async () => {
  await using tmp = await tmpdir("hyperion-stack-replay-");
  const source = join(tmp.path, "source");
  const target = join(tmp.path, "target");
  mkdirSync(source);
  makeHistory(source, 12);
  const base = git(source, ["rev-list", "--max-parents=0", "HEAD"]).trim();
  git(tmp.path, ["clone", "-q", source, target]);
  git(target, ["checkout", "-q", base]);

  initRepo({ repo: target });
  writeFileSync(
    join(target, ".hyperion", "config.json"),
    JSON.stringify({
      git: { commit: false },
      risk: { paths: [{ glob: "held/**", weight: 10, reason: "held by policy" }] },
    }),
  );
  using repo = openRepo({ repo: target });
  const queue = createQueue(repo.db, { secret: readSecret(repo.loc), config: repo.config.queue });
  const crs = historyAsChanges(source, base);
  const { enqueued, rejected } = submitChanges(repo, queue, crs);
  expect(rejected).toEqual([]);
  const held = enqueued.filter((e) => e.status === "awaiting_approval").map((e) => e.id);
  expect(held).toHaveLength(4);

  const run = () =>
    startRun({
      repo: target,
      workers: 2,
      untilEmpty: true,
      progressIntervalMs: 60_000,
      onProgress: () => {},
      watch: false,
    }).done;
  for (const next of held) {
    expect((await run()).exit_code).toBe(3);
    // Nothing stacked on a held change was leased: no attempt spent, nothing dead.
    for (const c of queue.list({ status: "queued", limit: 500 })) {
      expect(c.attempts).toBe(0);
      expect(queue.waitingFor(c.id)).not.toBeNull();
    }
    expect(queue.deadLetters()).toEqual([]);
    approveChange(repo.db, queue, next, "alice", null);
  }
  expect((await run()).exit_code).toBe(0);
  expect(queue.list({ status: "applied", limit: 500 })).toHaveLength(crs.length);
  for (const c of queue.list({ limit: 500 })) expect(c.attempts).toBe(1);

  git(source, ["checkout", "-q", "main"]);
  const { ".gitignore": _ignore, ...applied } = await treeOf(target);
  expect(applied).toEqual(await treeOf(source));
});
