import { expect, setDefaultTimeout, test } from "bun:test";
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { hyperion, tmpdir } from "../_helpers.ts";
import { git, historyAsChanges, treeOf } from "../_history.ts";

// Real git and a real queue on a shared machine: a cap against hangs, not a speed target.
setDefaultTimeout(60_000);

/** A small deterministic random source, so the history is the same on every run. */
const lcg = (seed: number) => () => {
  seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
  return seed / 2 ** 31;
};

/** A git history of stacked edits: the same files edited again and again, created, renamed, deleted. */
const makeHistory = (repo: string, commits: number) => {
  const rnd = lcg(7);
  const pick = <T>(xs: T[]) => xs[Math.floor(rnd() * xs.length)]!;
  const write = (p: string, text: string) => {
    mkdirSync(dirname(join(repo, p)), { recursive: true });
    writeFileSync(join(repo, p), text);
  };
  const files = new Set<string>();
  for (let i = 0; i < 8; i++) {
    const p = `src/m${i % 3}/f${i}.txt`;
    write(p, `${Array.from({ length: 20 }, (_, l) => `file ${i} line ${l}`).join("\n")}\n`);
    files.add(p);
  }
  git(repo, ["init", "-q", "-b", "main"]);
  const commit = (msg: string) => {
    git(repo, ["add", "-A"]);
    git(repo, ["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", msg]);
  };
  commit("base");
  let fresh = 0;
  for (let c = 0; c < commits; c++) {
    for (let k = 0; k < 1 + Math.floor(rnd() * 3); k++) {
      const op = rnd();
      const p = pick([...files]);
      const lines = readFileSync(join(repo, p), "utf8").split("\n");
      if (op < 0.55) {
        // Stacked edits: a line rewritten, one inserted, sometimes the final newline dropped.
        lines[Math.floor(rnd() * (lines.length - 1))] = `edit ${c}.${k}`;
        lines.splice(Math.floor(rnd() * lines.length), 0, `insert ${c}.${k}`);
        write(p, rnd() < 0.1 ? lines.join("\n").replace(/\n$/, "") : lines.join("\n"));
      } else if (op < 0.7) {
        const q = `src/new/n${fresh++}.txt`;
        write(q, `new ${c}\nline two\n`);
        files.add(q);
      } else if (op < 0.85 && files.size > 4) {
        // A rename, with or without an edit.
        const q = `src/moved/r${fresh++}.txt`;
        mkdirSync(dirname(join(repo, q)), { recursive: true });
        renameSync(join(repo, p), join(repo, q));
        if (rnd() < 0.5) writeFileSync(join(repo, q), `${readFileSync(join(repo, q), "utf8")}moved ${c}\n`);
        files.delete(p);
        files.add(q);
      } else if (files.size > 4) {
        rmSync(join(repo, p));
        files.delete(p);
      }
    }
    commit(`change ${c}`);
  }
};

test("a stacked git history replayed as change requests through enqueue and run equals git's tree", async () => {
  await using tmp = await tmpdir();
  const source = join(tmp.path, "source");
  const target = join(tmp.path, "target");
  mkdirSync(source);
  makeHistory(source, 40);
  const base = git(source, ["rev-list", "--max-parents=0", "HEAD"]).trim();
  git(tmp.path, ["clone", "-q", source, target]);
  git(target, ["checkout", "-q", base]);

  const crs = historyAsChanges(source, base);
  expect(crs).toHaveLength(40);
  expect(crs.flatMap((c) => c.changes.map((f) => f.operation))).toEqual(
    expect.arrayContaining(["modify", "create", "rename", "delete"]),
  );
  expect((await hyperion(["init", "--repo", target])).exitCode).toBe(0);
  // Deletions and renames are risky by default; this history is the operator's own.
  writeFileSync(join(target, ".hyperion/config.json"), JSON.stringify({ risk: { threshold: 1_000 } }));
  writeFileSync(join(tmp.path, "history.json"), JSON.stringify(crs));
  const enq = await hyperion(["enqueue", join(tmp.path, "history.json"), "--repo", target]);
  expect(enq.stderr).toBe("");
  expect(enq.exitCode).toBe(0);
  const run = await hyperion(["run", "--repo", target, "--no-watch"]);
  expect(run.stderr).toMatch(/^done: applied 40 /);
  expect(run.exitCode).toBe(0);

  git(source, ["checkout", "-q", "main"]);
  // `hyperion init` adds .hyperion/ to .gitignore in a git checkout: the one file git's tree lacks.
  const { ".gitignore": ignore, ...applied } = await treeOf(target);
  expect(ignore).toBe(".hyperion/\n");
  expect(applied).toEqual(await treeOf(source));
});
