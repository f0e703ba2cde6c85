/**
 * `bun run bench:replay`: this repository's own first-parent history, one change request per
 * commit (git's patches, tests/_history.ts), through `hyperion enqueue` + `hyperion run` (the
 * compiled binary, default workers) beside its anchor, one `git apply` call over the same
 * patches, in the same run; both trees are compared with git's. Each round also times one
 * one-line change through the same two commands: what they cost before any work. Then the enqueue-depth table:
 * how long `enqueue` of 100, 400 and 1,600 changes stacked on the same files takes, in one call
 * and in ten.
 * BENCH_COMMITS caps the history (default 180); BENCH_ROUNDS sets how many times each side runs,
 * alternating, before the medians are compared (default 5).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { makeFileChange } from "../lib/patch/index.ts";
import { git, historyAsChanges, treeOf } from "../tests/_history.ts";
import { stackedChanges, writeTree } from "../tests/runtime/_changes.ts";

const ROOT = join(import.meta.dir, "..");
// Past 180, this history renames files that earlier patches of the same series touched, which one
// `git apply` call refuses; the anchor must stay one call.
const COMMITS = Number(process.env.BENCH_COMMITS ?? 180);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const work = mkdtempSync(join(tmpdir(), "hyperion-bench-replay-"));
process.env.XDG_STATE_HOME = join(work, "state");

const run = (argv: string[], cwd: string, ok: number[] = [0]) => {
  const t = performance.now();
  const r = Bun.spawnSync(argv, { cwd, env: process.env, stdout: "pipe", stderr: "pipe" });
  if (!ok.includes(r.exitCode))
    throw new Error(`${argv.join(" ")} exited ${r.exitCode}: ${r.stderr.toString().slice(-400)}`);
  return performance.now() - t;
};

const checkouts: string[] = [];
try {
  const bin = join(work, "hyperion");
  run([process.execPath, join(ROOT, "scripts/build.ts"), "--outfile", bin], ROOT);

  const all = git(ROOT, ["rev-list", "--first-parent", "--reverse", "HEAD"]).trim().split("\n");
  const base = all[0]!;
  const head = all[Math.min(COMMITS, all.length - 1)]!;
  const crs = historyAsChanges(ROOT, base, head);
  const patches = crs.flatMap((c) => c.changes.flatMap((f) => (f.patch ? [f.patch] : [])));
  const files = crs.reduce((n, c) => n + c.changes.length, 0);

  const checkout = (name: string) => {
    const dir = join(work, name);
    git(ROOT, ["worktree", "add", "-q", "--detach", dir, base]);
    checkouts.push(dir);
    return dir;
  };
  const series = join(work, "series.patch");
  writeFileSync(
    series,
    git(ROOT, ["log", "--first-parent", "--reverse", "-p", "-M", "--format=", `${base}..${head}`]),
  );
  writeFileSync(join(work, "history.json"), JSON.stringify(crs));
  const one = join(work, "one.json");

  /** One round: the anchor (every patch in one `git apply` call), then enqueue + run, each on a fresh checkout. */
  const round = async (n: number) => {
    const anchor = checkout(`anchor-${n}`);
    const target = checkout(`queue-${n}`);
    // Dirty pages still being written back (the binary just built, the checkouts) slow every file
    // created meanwhile tenfold, for either side: the disk is settled before each is timed.
    Bun.spawnSync(["sync"]);
    const gitMs = run(["git", "apply", "--whitespace=nowarn", series], anchor);
    run([bin, "init"], target);
    Bun.spawnSync(["sync"]);
    writeFileSync(join(target, ".hyperion/config.json"), JSON.stringify({ risk: { threshold: 1_000_000 } }));
    // Exit 3: changes to agent instruction files (this repository's docs/AGENTS.md) always wait for
    // a person; the operator approves its own history, in order, before the run.
    const enqueueMs = run([bin, "enqueue", join(work, "history.json")], target, [0, 3]);
    const held = Bun.spawnSync(
      [bin, "list", "--status", "awaiting_approval", "--json", "--limit", "100000"],
      {
        cwd: target,
        env: process.env,
      },
    );
    const heldIds = (JSON.parse(held.stdout.toString()) as { id: string }[]).map((c) => c.id).sort();
    for (const id of heldIds) run([bin, "approve", id], target);
    const runMs = run([bin, "run", "--no-watch"], target, [0, 3]);
    const expected = await treeOf(anchor);
    const { ".gitignore": _, ...applied } = await treeOf(target);
    delete expected[".gitignore"];
    // The fixed cost of the two commands: one one-line change through enqueue + run, same tree.
    const file = Object.keys(applied).sort()[0]!;
    const text = readFileSync(join(target, file), "utf8");
    writeFileSync(
      one,
      JSON.stringify({ task_id: "floor", changes: [makeFileChange(file, text, `${text}.\n`)] }),
    );
    const floorMs = run([bin, "enqueue", one], target) + run([bin, "run", "--no-watch"], target);
    return {
      gitMs,
      enqueueMs,
      runMs,
      floorMs,
      held: heldIds.length,
      same: JSON.stringify(applied) === JSON.stringify(expected),
    };
  };

  // Each round runs both sides back to back, so its ratio is the fair comparison on a shared
  // machine; the median of ROUNDS ratios is the figure.
  const rounds = [];
  for (let n = 0; n < ROUNDS; n++) rounds.push(await round(n));
  const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
  const ratios = rounds.map((r) => (r.enqueueMs + r.runMs) / r.gitMs);

  console.log(
    `bench:replay — ${new Date().toISOString()} — ${crs.length} commits, ${files} file changes (${patches.length} patches); ${ROUNDS} rounds`,
  );
  for (const [i, r] of rounds.entries())
    console.log(
      `  round ${i + 1}: git apply ${r.gitMs.toFixed(0)} ms; enqueue ${r.enqueueMs.toFixed(0)} ms + run ${r.runMs.toFixed(0)} ms = ${ratios[i]!.toFixed(1)}x; one one-line change ${r.floorMs.toFixed(0)} ms = ${(r.floorMs / r.gitMs).toFixed(1)}x`,
    );
  console.log(
    `  enqueue + run against one git apply: median ${median(ratios).toFixed(1)}x, from ${Math.min(...ratios).toFixed(1)}x to ${Math.max(...ratios).toFixed(1)}x (target 2x)`,
  );
  console.log(
    `  medians: git apply ${median(rounds.map((r) => r.gitMs)).toFixed(0)} ms, enqueue ${median(rounds.map((r) => r.enqueueMs)).toFixed(0)} ms, run ${median(rounds.map((r) => r.runMs)).toFixed(0)} ms`,
  );
  console.log(
    `  one one-line change through enqueue + run (the two commands' fixed cost): median ${median(rounds.map((r) => r.floorMs)).toFixed(0)} ms, ${median(rounds.map((r) => r.floorMs / r.gitMs)).toFixed(1)}x git apply`,
  );
  console.log(
    `  held for a person and approved before the run: ${rounds[0]!.held}; trees equal: ${rounds.every((r) => r.same) ? "yes" : "NO"}`,
  );

  // Enqueue depth: n changes stacked on 10 files, in one enqueue call and in 10 calls (each
  // validating against the results the calls before it kept).
  const CALLS = 10;
  console.log(`  enqueue of n changes stacked on 10 files, in one call and in ${CALLS} calls:`);
  let first = 0;
  let firstCalls = 0;
  for (const n of [100, 400, 1_600]) {
    const crs = stackedChanges(10, 40, n);
    const timed = (name: string, parts: number) => {
      const dir = join(work, `depth-${n}-${name}`);
      mkdirSync(dir);
      writeTree(dir, 10, 40);
      run([bin, "init"], dir);
      let ms = 0;
      const size = Math.ceil(n / parts);
      for (let at = 0; at < n; at += size) {
        writeFileSync(join(dir, "in.json"), JSON.stringify(crs.slice(at, at + size)));
        ms += run([bin, "enqueue", "in.json"], dir);
      }
      return ms;
    };
    const one = timed("one", 1);
    const many = timed("calls", CALLS);
    first ||= one / n;
    firstCalls ||= many / n;
    console.log(
      `    ${String(n).padStart(5)}  one call ${one.toFixed(0).padStart(5)} ms (${(one / n / first).toFixed(2)}x the per-change time at 100)  ${CALLS} calls ${many.toFixed(0).padStart(5)} ms (${(many / n / firstCalls).toFixed(2)}x)`,
    );
  }
} finally {
  for (const dir of checkouts) {
    try {
      git(ROOT, ["worktree", "remove", "--force", dir]);
    } catch {}
  }
  rmSync(work, { recursive: true, force: true });
}
