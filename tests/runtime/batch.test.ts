import { Database } from "bun:sqlite";
import { expect, setDefaultTimeout, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeFileChange } from "../../lib/patch/index.ts";
import { startRun } from "../../lib/runtime/index.ts";
import { openRepo } from "../../lib/store/index.ts";
import { hyperion, tmpdir } from "../_helpers.ts";
import { recordPlanned } from "../_planned.ts";
import { planText } from "../reliability/_faults-repo.ts";

// Real validation processes on a shared machine: a cap against hangs, not a speed target.
setDefaultTimeout(120_000);

/**
 * A repository of `n` files under an approved plan whose validation fails while any file holds
 * the marker line BAD (the check lives outside the tree, as a test suite's runner would).
 */
const setup = async (tmp: string, n: number, flakyOnce = false) => {
  const repo = join(tmp, "repo");
  mkdirSync(join(repo, "src"), { recursive: true });
  for (let i = 0; i < n; i++) writeFileSync(join(repo, `src/f${i}.txt`), `ok ${i}\n`);
  const check = join(tmp, "check.ts");
  writeFileSync(
    check,
    `import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
${flakyOnce ? `if (!existsSync(${JSON.stringify(join(tmp, "flaked"))})) { writeFileSync(${JSON.stringify(join(tmp, "flaked"))}, ""); console.error("flaky"); process.exit(1); }` : ""}
const bad = readdirSync("src").filter((f) => readFileSync("src/" + f, "utf8").includes("BAD"));
if (bad.length) { console.error("marker in " + bad.join(", ")); process.exit(1); }
console.log("ok");\n`,
  );
  const command = `${process.execPath} ${check}`;
  writeFileSync(join(repo, "WORKPLAN.md"), planText([command], [command]));
  expect((await hyperion(["init", "--repo", repo])).exitCode).toBe(0);
  expect((await hyperion(["plan", "approve", "--repo", repo])).exitCode).toBe(0);
  return repo;
};

const enqueue = async (repo: string, n: number, bad: number[]) => {
  const crs = Array.from({ length: n }, (_, i) => ({
    id: `cr-${i}`,
    task_id: `t-${i}`,
    changes: [makeFileChange(`src/f${i}.txt`, `ok ${i}\n`, bad.includes(i) ? "BAD\n" : `ok ${i}\nchecked\n`)],
  }));
  writeFileSync(join(repo, "in.json"), JSON.stringify(crs));
  expect((await hyperion(["enqueue", join(repo, "in.json"), "--repo", repo])).exitCode).toBe(0);
};

/** Each change's status, and the validation runs its batch took (from the `validation_batch` events). */
const outcome = (repo: string) => {
  const db = new Database(join(repo, ".hyperion/hyperion.db"), { readonly: true });
  try {
    const status = Object.fromEntries(
      db
        .query<{ id: string; status: string }, []>("SELECT id, status FROM change_queue")
        .all()
        .map((r) => [r.id, r.status]),
    );
    const runs = db
      .query<{ runs: number }, []>(
        "SELECT DISTINCT data ->> 'runs' AS runs FROM change_queue_logs WHERE event = 'validation_batch'",
      )
      .all()
      .map((r) => r.runs);
    const reasons = db
      .query<{ change_id: string; reason_code: string }, []>(
        "SELECT change_id, reason_code FROM dead_letters",
      )
      .all();
    return { status, runs, reasons };
  } finally {
    db.close();
  }
};

test("32 changes with 2 bad in one batch: exactly the 2 fail, the other 30 apply, in far fewer runs than 32", async () => {
  await using tmp = await tmpdir();
  const repo = await setup(tmp.path, 32);
  await enqueue(repo, 32, [5, 20]);
  const r = await hyperion(["run", "--repo", repo, "--batch", "32", "--no-watch"]);
  expect(r.exitCode).toBe(3);
  const o = outcome(repo);
  const dead = Object.entries(o.status)
    .filter(([, s]) => s === "dead")
    .map(([id]) => id);
  expect(dead.sort()).toEqual(["cr-20", "cr-5"]);
  expect(Object.values(o.status).filter((s) => s === "applied")).toHaveLength(30);
  expect(o.reasons.map((d) => d.reason_code)).toEqual(["E_VALIDATION", "E_VALIDATION"]);
  // One batch: its runs recorded once; bisection finds two culprits in a few runs, not 32.
  expect(o.runs).toHaveLength(1);
  expect(o.runs[0]).toBeGreaterThan(2);
  expect(o.runs[0]).toBeLessThan(32);
  // queue-metrics reports the batch: its size, runs per change, and the two it blamed.
  const m = JSON.parse((await hyperion(["queue-metrics", "--repo", repo, "--json"])).stdout);
  expect(m.validation).toMatchObject({ batches: 1, mean_size: 32, blamed: 2 });
  expect(m.validation.runs_per_change).toBeCloseTo(o.runs[0]! / 32, 2);
  expect(m.validation.blame_ms_p50).toBeGreaterThan(0);
  // What was applied is in the tree, what failed is not: the tree passes validation.
  for (let i = 0; i < 32; i++) {
    const text = await Bun.file(join(repo, `src/f${i}.txt`)).text();
    expect(text).toBe(i === 5 || i === 20 ? `ok ${i}\n` : `ok ${i}\nchecked\n`);
  }
});

test("an all-good batch validates once", async () => {
  await using tmp = await tmpdir();
  const repo = await setup(tmp.path, 8);
  await enqueue(repo, 8, []);
  const r = await hyperion(["run", "--repo", repo, "--batch", "8", "--no-watch"]);
  expect(r.exitCode).toBe(0);
  const o = outcome(repo);
  expect(Object.values(o.status)).toEqual(Array(8).fill("applied"));
  expect(o.runs).toEqual([1]);
});

test("a flaky failure of a batch blames nothing: its halves pass, and every change applies", async () => {
  await using tmp = await tmpdir();
  const repo = await setup(tmp.path, 8, true);
  await enqueue(repo, 8, []);
  const r = await hyperion(["run", "--repo", repo, "--batch", "8", "--no-watch"]);
  expect(r.exitCode).toBe(0);
  const o = outcome(repo);
  expect(Object.values(o.status)).toEqual(Array(8).fill("applied"));
  expect(o.reasons).toEqual([]);
  expect(o.runs[0]).toBeGreaterThan(1);
});

test("a quick check stops a bad change before it joins a batch: the batch validates once", async () => {
  await using tmp = await tmpdir();
  const repo = await setup(tmp.path, 16);
  // The plan also allows a quick command per file (the marker check of that file alone, as a
  // module's own tests would be); the Orchestrator named each task's as its quick check.
  const quick = join(tmp.path, "quick.ts");
  writeFileSync(quick, `if ((await Bun.file(process.argv[2]!).text()).includes("BAD")) process.exit(1);\n`);
  const check = `${process.execPath} ${join(tmp.path, "check.ts")}`;
  const quickCommand = (i: number) => `${process.execPath} ${quick} src/f${i}.txt`;
  const quicks = Array.from({ length: 16 }, (_, i) => quickCommand(i));
  writeFileSync(join(repo, "WORKPLAN.md"), planText([check, ...quicks], [check]));
  expect((await hyperion(["plan", "approve", "--repo", repo])).exitCode).toBe(0);
  {
    using r = openRepo({ repo });
    recordPlanned(
      r.db,
      { id: "r-1", title: "sixteen" },
      Array.from({ length: 16 }, (_, i) => ({
        id: `t-${i}`,
        owned: [`src/f${i}.txt`],
        checks: [quickCommand(i)],
      })),
    );
  }
  await enqueue(repo, 16, [3, 11]);
  const r = await hyperion(["run", "--repo", repo, "--batch", "16", "--no-watch"]);
  expect(r.exitCode).toBe(3);
  const o = outcome(repo);
  expect(
    Object.entries(o.status)
      .filter(([, s]) => s === "dead")
      .map(([id]) => id)
      .sort(),
  ).toEqual(["cr-11", "cr-3"]);
  expect(Object.values(o.status).filter((s) => s === "applied")).toHaveLength(14);
  // The suite ran once, for the 14 that passed their quick checks.
  expect(o.runs).toEqual([1]);
  expect(r.stderr).toContain("cr-3 dead: E_VALIDATION quick check");
});

test("a batch short of its size waits validation.batch.wait_ms for more ready changes", async () => {
  await using tmp = await tmpdir();
  const repo = await setup(tmp.path, 4);
  writeFileSync(
    join(repo, ".hyperion/config.json"),
    JSON.stringify({ validation: { batch: { max: 4, wait_ms: 10_000 } } }),
  );
  await enqueue(repo, 2, []);
  const running = startRun({
    repo,
    workers: 0,
    untilEmpty: true,
    progressIntervalMs: 3_600_000,
    onProgress: () => {},
    watch: false,
  });
  // Once the first two are leased, two more arrive; the worker, still waiting, takes them too.
  const db = new Database(join(repo, ".hyperion/hyperion.db"), { readonly: true });
  const leased = () =>
    db.query<{ n: number }, []>("SELECT count(*) AS n FROM change_queue WHERE status = 'leased'").get()!.n;
  for (let i = 0; i < 2_000 && leased() < 2; i++) await Bun.sleep(5);
  db.close();
  const late = [2, 3].map((i) => ({
    id: `cr-${i}`,
    task_id: `t-${i}`,
    changes: [makeFileChange(`src/f${i}.txt`, `ok ${i}\n`, `ok ${i}\nchecked\n`)],
  }));
  writeFileSync(join(repo, "late.json"), JSON.stringify(late));
  expect((await hyperion(["enqueue", join(repo, "late.json"), "--repo", repo])).exitCode).toBe(0);
  const summary = await running.done;
  expect(summary.applied).toBe(4);
  const batches = new Database(join(repo, ".hyperion/hyperion.db"), { readonly: true });
  const sizes = batches
    .query<{ size: number }, []>(
      "SELECT DISTINCT data ->> 'batch' AS b, data ->> 'size' AS size FROM change_queue_logs WHERE event = 'validation_batch'",
    )
    .all()
    .map((r) => r.size);
  batches.close();
  expect(sizes).toEqual([4]);
});
