/**
 * `bun run bench:batch`: changes per minute when validation takes a fixed time, for batch sizes
 * 1 (the anchor: one validation per change), 4, 8 and 16, at 0%, 5% and 20% bad changes, in one
 * run. The validation command sleeps VALIDATE_MS (default 200) and then fails while any file
 * holds the marker line BAD; bad changes are drawn with a fixed seed, so every batch size sees the
 * same ones. Each cell drains CHANGES (default 64) changes with `startRun` (one worker: validation
 * runs one at a time). The last rows add quick per-task checks: each change's task names a quick
 * command of the plan (the marker check of its file, sleeping QUICK_MS, default a tenth of VALIDATE_MS),
 * for its own file, run on the change before it joins a batch (side by side, one per core).
 */
import { Database } from "bun:sqlite";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { approvePlan } from "../lib/governance/index.ts";
import { makeFileChange } from "../lib/patch/index.ts";
import { createQueue } from "../lib/queue/index.ts";
import { startRun, submitChanges } from "../lib/runtime/index.ts";
import { initRepo, openRepo, readSecret } from "../lib/store/index.ts";
import { recordPlanned } from "../tests/_planned.ts";

const VALIDATE_MS = Number(process.env.VALIDATE_MS ?? 200);
const QUICK_MS = Number(process.env.QUICK_MS ?? VALIDATE_MS / 10);
const CHANGES = Number(process.env.CHANGES ?? 64);
const SIZES = [1, 4, 8, 16];
const RATES = [0, 0.05, 0.2];

const work = mkdtempSync(join(tmpdir(), "hyperion-bench-batch-"));
process.env.XDG_STATE_HOME = join(work, "state");
const check = join(work, "check.ts");
writeFileSync(
  check,
  `import { readdirSync, readFileSync } from "node:fs";
await Bun.sleep(${VALIDATE_MS});
if (readdirSync("src").some((f) => readFileSync("src/" + f, "utf8").includes("BAD"))) process.exit(1);\n`,
);
const command = `${process.execPath} ${check}`;
const quick = join(work, "quick.ts");
writeFileSync(
  quick,
  `await Bun.sleep(${QUICK_MS});
if ((await Bun.file(process.argv[2]).text()).includes("BAD")) process.exit(1);\n`,
);
/** Each file's own quick check, as a module's own tests would be. */
const quickCommand = (i: number) => `${process.execPath} ${quick} src/f${i}.txt`;
const plan = `# WORKPLAN — bench

## Plan Metadata
Approval pattern: ^Approved:[[:space:]]+yes$
Required sections: Commands, Validation, Approval
Validation policy: ${command}

## Commands
${command}
${Array.from({ length: CHANGES }, (_, i) => quickCommand(i)).join("\n")}

## Validation
${command}

## Approval
Approved: yes
`;

/** The same bad changes for every batch size at one rate. */
const badSet = (rate: number): Set<number> => {
  let seed = 42;
  const rnd = () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const bad = new Set<number>();
  for (let i = 0; i < CHANGES; i++) if (rnd() < rate) bad.add(i);
  return bad;
};

const cell = async (size: number, rate: number, checks = false) => {
  const repo = join(work, `r-${size}-${rate}-${checks}`);
  mkdirSync(join(repo, "src"), { recursive: true });
  for (let i = 0; i < CHANGES; i++) writeFileSync(join(repo, `src/f${i}.txt`), `ok ${i}\n`);
  writeFileSync(join(repo, "WORKPLAN.md"), plan);
  initRepo({ repo });
  const bad = badSet(rate);
  {
    using r = openRepo({ repo });
    approvePlan(repo, r.db, "bench");
    if (checks) {
      // As the Orchestrator plans them: one task a file, each with its quick check.
      recordPlanned(
        r.db,
        { id: "r-bench", title: "bench" },
        Array.from({ length: CHANGES }, (_, i) => ({
          id: `t-${i}`,
          owned: [`src/f${i}.txt`],
          checks: [quickCommand(i)],
        })),
      );
    }
    const queue = createQueue(r.db, { secret: readSecret(r.loc), config: r.config.queue });
    const crs = Array.from({ length: CHANGES }, (_, i) => ({
      task_id: `t-${i}`,
      changes: [makeFileChange(`src/f${i}.txt`, `ok ${i}\n`, bad.has(i) ? "BAD\n" : `ok ${i}\nchecked\n`)],
    }));
    submitChanges(r, queue, crs, {});
  }
  const t = performance.now();
  const summary = await startRun({
    repo,
    workers: 1,
    batch: size,
    untilEmpty: true,
    progressIntervalMs: 3_600_000,
    onProgress: () => {},
    watch: false,
  }).done;
  const ms = performance.now() - t;
  const db = new Database(join(repo, ".hyperion/hyperion.db"), { readonly: true });
  const runs =
    size === 1
      ? db
          .query<{ n: number }, []>("SELECT count(*) AS n FROM change_queue_logs WHERE event = 'validation'")
          .get()!.n
      : db
          .query<{ runs: number }, []>(
            "SELECT sum(r) AS runs FROM (SELECT DISTINCT data ->> 'batch' AS b, data ->> 'runs' AS r FROM change_queue_logs WHERE event = 'validation_batch')",
          )
          .get()!.runs;
  db.close();
  if (summary.applied + summary.dead !== CHANGES || summary.dead !== bad.size) {
    throw new Error(
      `batch ${size}, ${rate * 100}% bad: applied ${summary.applied}, dead ${summary.dead}, expected ${bad.size} dead`,
    );
  }
  return { perMin: (CHANGES * 60_000) / ms, runs };
};

try {
  console.log(
    `bench:batch — ${new Date().toISOString()} — ${CHANGES} changes a cell, validation ${VALIDATE_MS} ms + process start`,
  );
  for (const rate of RATES) {
    const anchor = await cell(1, rate);
    console.log(
      `  ${String(rate * 100).padStart(2)}% bad  batch  1 (anchor)  ${anchor.perMin.toFixed(0).padStart(5)}/min  ${anchor.runs} validation runs`,
    );
    for (const size of SIZES.slice(1)) {
      const c = await cell(size, rate);
      console.log(
        `  ${String(rate * 100).padStart(2)}% bad  batch ${String(size).padStart(2)}           ${c.perMin.toFixed(0).padStart(5)}/min  ${String(c.runs).padStart(3)} validation runs  ${(c.perMin / anchor.perMin).toFixed(1)}x the anchor`,
      );
    }
    const q = await cell(8, rate, true);
    console.log(
      `  ${String(rate * 100).padStart(2)}% bad  batch  8 + quick checks ${q.perMin.toFixed(0).padStart(5)}/min  ${String(q.runs).padStart(3)} validation runs  ${(q.perMin / anchor.perMin).toFixed(1)}x the anchor`,
    );
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
