// `bun run bench:apply`: 1,000 one-file modify patches on a 1,000-file tree, through Hyperion's
// apply path (signature, validation, journal, atomic writes) and through one `git apply` call,
// in the same run on the same machine. Each round builds one fresh tree per contender and runs
// them in a rotating order, since file creation on a busy disk varies from second to second.
import type { Database } from "bun:sqlite";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  applyChange,
  applyChanges,
  makeFileChange,
  signPayload,
  validateChangeRequest,
} from "../lib/patch/index.ts";
import { BATCH } from "../lib/runtime/drain.ts";
import { defaultConfig } from "../lib/schema/index.ts";
import { openDatabase } from "../lib/store/index.ts";

const FILES = Number(process.env.BENCH_FILES ?? 1_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const limits = defaultConfig().limits;

const content = (i: number, changed: boolean) =>
  Array.from({ length: 60 }, (_, j) =>
    changed && j === 30
      ? `changed line ${j} in file ${i}\n`
      : `line ${j} of file ${i}: const value_${j} = ${i * j};\n`,
  ).join("");
const pathOf = (i: number) => `src/mod${i % 25}/file${i}.ts`;

// Each contender gets a tree of its own, built just before its turn and written back to disk
// (untimed): every tree is the same age when its contender starts, and no contender pays for
// the writeback of another's files (on ext4, replacing a file created seconds ago, or while
// other files are being written back, costs several times more).
const makeTree = (dir: string) => {
  for (let i = 0; i < FILES; i++) {
    mkdirSync(join(dir, `src/mod${i % 25}`), { recursive: true });
    writeFileSync(join(dir, pathOf(i)), content(i, false));
  }
  Bun.spawnSync(["git", "init", "-q", dir]);
  Bun.spawnSync(["sync"]);
};

const secret = randomBytes(32);
const changes = Array.from({ length: FILES }, (_, i) =>
  makeFileChange(pathOf(i), content(i, false), content(i, true)),
);
// Every bench database gets this repository id, so the rows are signed once, before any clock.
const REPOSITORY = "0".repeat(32);
const rows = changes.map((c, i) => {
  const payload = JSON.stringify({ id: `cr-${i}`, task_id: "bench", changes: [c] });
  return {
    id: `cr-${i}`,
    payload,
    signature: signPayload(secret, { repository: REPOSITORY, id: `cr-${i}`, payload }),
  };
});
const gitPatch = changes.map((c) => c.patch).join("");

// Hyperion's contenders get a database opened (and migrated) before the clock starts, as a running
// worker holds one, and closed after it stops; closing checkpoints the WAL into the database file
// and fsyncs it, which git never does, so that is timed apart and reported beside.
type Contender = { name: string; run: (dir: string, db: Database) => void | Promise<void> };
const contenders: Contender[] = [
  {
    name: "`git apply` (one process call, 1,000 patches)",
    run: (dir) => {
      const git = Bun.spawnSync(["git", "apply", join(dir, "..", "all.patch")], { cwd: dir });
      if (git.exitCode !== 0) throw new Error(`git apply failed: ${git.stderr.toString()}`);
    },
  },
  {
    name: "Hyperion `applyChanges` (one call, 1,000 changes)",
    run: (dir, db) => {
      const out = applyChanges({ repo: dir, db, secret, changes: rows, limits });
      if (out.some((o) => !o.ok)) throw new Error("applyChanges failed");
    },
  },
  {
    name: "Hyperion `applyChanges` (32 calls of 32 changes, as a worker's leased batches)",
    run: (dir, db) => {
      for (let i = 0; i < rows.length; i += BATCH) {
        const out = applyChanges({ repo: dir, db, secret, changes: rows.slice(i, i + BATCH), limits });
        if (out.some((o) => !o.ok)) throw new Error("applyChanges failed");
      }
    },
  },
  {
    name: "Hyperion `applyChange` (1,000 calls, one per change)",
    run: (dir, db) => {
      for (const change of rows) applyChange({ repo: dir, db, secret, change, limits });
    },
  },
  {
    name: "Hyperion `validateChangeRequest` + `applyChange` per change",
    run: (dir, db) => {
      for (const change of rows) {
        validateChangeRequest(JSON.parse(change.payload), { repo: dir, limits });
        applyChange({ repo: dir, db, secret, change, limits });
      }
    },
  },
];

const times: number[][] = contenders.map(() => []);
const closes: number[][] = contenders.map(() => []);
// Nothing is deleted until every round is done. This ext4 has no journal, and without one ext4
// skips inodes freed in the last ~30 s when it allocates a new one (recently_deleted): deleting
// a round's trees made every file creation of the next round scan past thousands of them, which
// slowed both contenders' creations several times over and hid the CPU cost of the rest.
const made: string[] = [];
try {
  for (let round = 0; round < ROUNDS; round++) {
    const base = mkdtempSync(join(process.env.BENCH_DIR ?? tmpdir(), "hyperion-bench-"));
    made.push(base);
    // BENCH_DB_DIR puts the databases on another file system (tmpfs: SQLite's writes cost nothing).
    const dbDir = process.env.BENCH_DB_DIR
      ? mkdtempSync(join(process.env.BENCH_DB_DIR, "hyperion-bench-db-"))
      : base;
    if (dbDir !== base) made.push(dbDir);
    writeFileSync(join(base, "all.patch"), gitPatch);
    const dirs = contenders.map((_, k) => join(base, `tree${k}`));
    for (let k = 0; k < contenders.length; k++) {
      const at = (k + round) % contenders.length; // rotate who goes first
      makeTree(dirs[at]!);
      const db = openDatabase(join(dbDir, `tree${at}.db`), { create: true });
      db.run("UPDATE repository SET id = ?", [REPOSITORY]);
      const t = performance.now();
      await contenders[at]!.run(dirs[at]!, db);
      times[at]!.push(performance.now() - t);
      const c = performance.now();
      db.close();
      closes[at]!.push(performance.now() - c);
    }
    for (let i = 0; i < FILES; i += 37) {
      for (const d of dirs) {
        if (readFileSync(join(d, pathOf(i)), "utf8") !== content(i, true))
          throw new Error(`wrong result in ${d}`);
      }
    }
  }
} finally {
  for (const d of made) rmSync(d, { recursive: true, force: true });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
console.log(`${FILES} one-file modify patches on a ${FILES}-file tree; ${ROUNDS} rounds; Bun ${Bun.version}`);
console.log(
  `tree under ${process.env.BENCH_DIR ?? tmpdir()}, database under ${process.env.BENCH_DB_DIR ?? "the same"}\n`,
);
// Each round's ratio pairs contenders that ran seconds apart on trees of the same age, so the
// median of ratios is steadier than the ratio of medians on a disk whose speed drifts.
console.log(
  "| path | median | per patch | median of per-round ratios to git | all rounds (ms) | closing the database after (median) |\n| --- | --- | --- | --- | --- | --- |",
);
contenders.forEach((c, k) => {
  const m = median(times[k]!);
  const ratio = median(times[k]!.map((t, r) => t / times[0]![r]!));
  const all = times[k]!.map((x) => x.toFixed(0)).join(", ");
  console.log(
    `| ${c.name} | ${m.toFixed(1)} ms | ${((m * 1000) / FILES).toFixed(0)} µs | ${ratio.toFixed(2)}x | ${all} | ${k === 0 ? "" : `${median(closes[k]!).toFixed(1)} ms`} |`,
  );
});
