/**
 * `bun run bench:queue`: Hyperion's merge queue beside raw bun:sqlite (the minimal equivalent
 * SQL, the physical limit), plainjob, and the floor of Hyperion's own rows written by plain SQL
 * (bench/queue-floor.ts), in one run on one machine. Prints a markdown report (the Queue section
 * of docs/PERFORMANCE.md) and checks the targets of issue 4.
 */
import { Database } from "bun:sqlite";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openFloor } from "./queue-floor.ts";
import { makeChanges, openSystem, SYSTEMS, type SystemName } from "./queue-systems.ts";

const dir = mkdtempSync(join(tmpdir(), "hyperion-bench-queue-"));
let files = 0;
const fresh = (system: SystemName | "floor") => join(dir, `${system}-${++files}.db`);
const rate = (n: number, ms: number) => Math.round((n * 1000) / ms);
const fmt = (n: number) => n.toLocaleString("en-US");
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? 0;
};
const us = (ms: number) => `${(ms * 1000).toFixed(0)} µs`;
const log = (s: string) => process.stderr.write(`${s}\n`);

/** A database of `system` holding `n` queued changes. */
const filled = (system: SystemName, n: number, hot?: number, lines?: number) => {
  const path = fresh(system);
  const s = openSystem(system, path);
  const crs = makeChanges(n, { hot, lines });
  for (let i = 0; i < n; i += 1_000) s.enqueueMany(crs.slice(i, i + 1_000));
  return { path, s };
};

// The machine is shared: every figure is the median of REPS runs, the systems interleaved.
const REPS = 3;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
const samples: Record<string, Record<string, number[]>> = {};
const put = (system: string, key: string, v: number) => {
  const bySystem = samples[system] ?? {};
  bySystem[key] = [...(bySystem[key] ?? []), v];
  samples[system] = bySystem;
};
const got = (system: string, key: string) => median(samples[system]?.[key] ?? []);

const ENQ_SINGLE = 5_000;
const ENQ_BATCH = 20_000;
const DRAIN = 20_000;
const BIG = 5_000;
const SIZES = [1_000, 20_000, 100_000];

// 1. Enqueue: one change per transaction, and batches of 1,000.
const enqueue = (system: SystemName) => {
  log(`enqueue: ${system}`);
  const one = openSystem(system, fresh(system));
  const crs1 = makeChanges(ENQ_SINGLE, { prefix: "one" });
  let t = performance.now();
  for (const cr of crs1) one.enqueueOne(cr);
  put(system, "enqueue_single", rate(ENQ_SINGLE, performance.now() - t));
  one.close();
  const many = openSystem(system, fresh(system));
  const crs = makeChanges(ENQ_BATCH, { prefix: "many" });
  t = performance.now();
  for (let i = 0; i < ENQ_BATCH; i += 1_000) many.enqueueMany(crs.slice(i, i + 1_000));
  put(system, "enqueue_batch", rate(ENQ_BATCH, performance.now() - t));
  many.close();
};

// 2. One worker (this thread), one at a time: lease then complete (rate, latency per cycle),
// and the system's own worker loop.
const oneWorker = async (system: SystemName) => {
  log(`lease+complete x1: ${system}`);
  const { s } = filled(system, DRAIN);
  const lat: number[] = [];
  const t = performance.now();
  for (;;) {
    const c0 = performance.now();
    if (!s.cycle()) break;
    lat.push(performance.now() - c0);
  }
  const ms = performance.now() - t;
  s.close();
  put(system, "cycle_1w", rate(lat.length, ms));
  put(system, "p50", pct(lat, 50));
  put(system, "p95", pct(lat, 95));
  log(`worker loop x1: ${system}`);
  const w = filled(system, DRAIN);
  const t1 = performance.now();
  const n = await w.s.workerLoop();
  put(system, "loop_1w", rate(n, performance.now() - t1));
  w.s.close();
};

/** Drains a database with `workers` Bun Workers, each on its own connection. */
const drainWithWorkers = async (system: SystemName, path: string, workers: number, batch: number) => {
  const ws = Array.from({ length: workers }, () => new Worker(join(import.meta.dir, "queue-worker.ts")));
  await Promise.all(
    ws.map(
      (w, i) =>
        new Promise<void>((resolve) => {
          w.onmessage = () => resolve();
          w.postMessage({ system, path, name: `w${i}`, batch });
        }),
    ),
  );
  const done = ws.map(
    (w) =>
      new Promise<{ n: number; t0: number; t1: number }>((resolve) => {
        w.onmessage = (e) => resolve(e.data);
      }),
  );
  for (const w of ws) w.postMessage("go");
  const out = await Promise.all(done);
  for (const w of ws) w.terminate();
  const n = out.reduce((a, o) => a + o.n, 0);
  return rate(n, Math.max(...out.map((o) => o.t1)) - Math.min(...out.map((o) => o.t0)));
};

// 2b. The floor: Hyperion's rows written by plain SQL (bench/queue-floor.ts), batched enqueue and
// bare lease-then-complete, on the same work as above.
const floor = () => {
  log("enqueue and lease+complete x1: floor");
  const f = openFloor(fresh("floor"));
  const crs = makeChanges(ENQ_BATCH, { prefix: "floor" });
  const t = performance.now();
  for (let i = 0; i < ENQ_BATCH; i += 1_000) f.enqueueMany(crs.slice(i, i + 1_000));
  put("floor", "enqueue_batch", rate(ENQ_BATCH, performance.now() - t));
  f.close();
  const d = openFloor(fresh("floor"));
  const all = makeChanges(DRAIN, { prefix: "floor-drain" });
  for (let i = 0; i < DRAIN; i += 1_000) d.enqueueMany(all.slice(i, i + 1_000));
  const t1 = performance.now();
  let n = 0;
  while (d.cycle()) n++;
  put("floor", "cycle_1w", rate(n, performance.now() - t1));
  d.close();
};

// 3. Two worker threads one at a time; then batches of 100 (as Hyperion's workers drain) with 1 and 2.
const threads = async (system: SystemName) => {
  log(`lease+complete x2 and batched: ${system}`);
  let f = filled(system, DRAIN);
  f.s.close();
  put(system, "cycle_2w", await drainWithWorkers(system, f.path, 2, 1));
  for (const workers of [1, 2]) {
    f = filled(system, DRAIN);
    f.s.close();
    const batch = system === "plainjob" ? 1 : 100;
    put(system, `batch_${workers}w`, await drainWithWorkers(system, f.path, workers, batch));
  }
  // Payloads of about 6 KB (a 100-line hunk), in the runtime's batches of 32.
  f = filled(system, BIG, undefined, 100);
  f.s.close();
  put(system, "big_1w", await drainWithWorkers(system, f.path, 1, system === "plainjob" ? 1 : 32));
};

// 4. Is the lease flat? 1,000 lease+complete cycles over 1k, 20k and 100k queued rows, and over
// 100k of which every other waits behind one file.
// The lease query alone (the pick, read-only, 10,000 times on a connection of its own), so the
// commit's cost, which grows with the file, does not hide whether the query itself is flat.
const PICK_SQL: Record<string, string> = {
  hyperion:
    "SELECT seq FROM change_queue WHERE ready = 1 AND available_at <= ? ORDER BY priority DESC, seq LIMIT 1",
  raw: "SELECT seq FROM jobs WHERE status = 0 AND available_at <= ? ORDER BY priority DESC, seq LIMIT 1",
};
const cyclesOver = (system: SystemName, n: number, hot?: number) => {
  const { s, path } = filled(system, n, hot);
  const t = performance.now();
  for (let i = 0; i < 1_000; i++) s.cycle();
  const per = (performance.now() - t) / 1_000;
  s.close();
  const db = new Database(path, { readonly: true });
  const pick = db.prepare(PICK_SQL[system]!);
  const now = Date.now();
  const t1 = performance.now();
  for (let i = 0; i < 10_000; i++) pick.get(now);
  const query = (performance.now() - t1) / 10_000;
  db.close();
  return { per, query };
};
const flatness = (system: SystemName) => {
  for (const n of SIZES) {
    log(`flat: ${system} ${n}`);
    const c = cyclesOver(system, n);
    put(system, `flat_${n}`, c.per);
    put(system, `pick_${n}`, c.query);
  }
  if (system === "hyperion") {
    const c = cyclesOver(system, 100_000, 2);
    put(system, "flat_hot", c.per);
    put(system, "pick_hot", c.query);
  }
};

for (let rep = 0; rep < REPS; rep++) {
  log(`-- run ${rep + 1} of ${REPS}`);
  for (const system of SYSTEMS) enqueue(system);
  for (const system of SYSTEMS) await oneWorker(system);
  floor();
  for (const system of SYSTEMS) await threads(system);
  for (const system of ["hyperion", "raw"] as SystemName[]) flatness(system);
}

// 5. Peak RSS of a process holding 20k and 100k queued rows (each system in its own process).
const rss: Record<string, Record<number, string>> = {};
for (const system of SYSTEMS) {
  rss[system] = {};
  for (const n of [20_000, 100_000]) {
    log(`rss: ${system} ${n}`);
    const p = Bun.spawnSync([
      process.execPath,
      join(import.meta.dir, "queue-rss.ts"),
      system,
      String(n),
      dir,
    ]);
    rss[system]![n] = p.stdout.toString().trim();
  }
}
rmSync(dir, { recursive: true, force: true });

// Report.
const h = (key: string) => got("hyperion", key);
const r = (key: string) => got("raw", key);
const p = (key: string) => got("plainjob", key);
const f = (key: string) => got("floor", key);
const x = (a: number, b: number) => `${(a / b).toFixed(2)}x`;
const line = (cells: (string | number)[]) =>
  `| ${cells.map((c) => (typeof c === "number" ? fmt(c) : c)).join(" | ")} |`;
const out: string[] = [];
out.push(
  `Measured ${new Date().toISOString().slice(0, 10)}, Bun ${Bun.version}, ${navigator.hardwareConcurrency} cores; medians of ${REPS} runs.`,
);
out.push("");
out.push(
  line([
    "per second (higher is better)",
    "hyperion",
    "raw bun:sqlite",
    "plainjob",
    "hyperion's rows, plain SQL",
  ]),
);
out.push(line(["---", "---:", "---:", "---:", "---:"]));
const rows: [string, string][] = [
  ["enqueue, one per transaction", "enqueue_single"],
  ["enqueue, batches of 1,000", "enqueue_batch"],
  ["lease, then complete, one at a time, 1 worker", "cycle_1w"],
  ["worker loop one at a time, 1 worker (hyperion: completeNext; plainjob: defineWorker)", "loop_1w"],
  ["lease, then complete, one at a time, 2 workers", "cycle_2w"],
  ["drain in batches of 100, 1 worker (plainjob: one at a time)", "batch_1w"],
  ["drain in batches of 100, 2 workers (plainjob: one at a time)", "batch_2w"],
  ["drain in batches of 32 with 6 KB payloads, 1 worker (plainjob: one at a time)", "big_1w"],
];
for (const [label, key] of rows) out.push(line([label, h(key), r(key), p(key), f(key) || ""]));
for (const q of [50, 95]) {
  out.push(line([`lease+complete latency p${q}, 1 worker`, ...SYSTEMS.map((s) => us(got(s, `p${q}`))), ""]));
}
for (const n of [20_000, 100_000]) {
  out.push(line([`peak RSS, ${fmt(n)} queued rows (MiB)`, ...SYSTEMS.map((s) => rss[s]![n]!), ""]));
}
out.push("");
out.push(line(["µs per call", ...SIZES.map((n) => `${fmt(n)} queued`), "100k / 1k"]));
out.push(line(["---", "---:", "---:", "---:", "---:"]));
for (const [what, key, digits] of [
  ["lease + complete", "flat", 1],
  ["the lease query alone", "pick", 2],
] as const) {
  for (const system of ["hyperion", "raw"]) {
    const f = (n: number) => got(system, `${key}_${n}`);
    out.push(
      line([
        `${system}: ${what}`,
        ...SIZES.map((n) => (f(n) * 1000).toFixed(digits)),
        x(f(100_000), f(1_000)),
      ]),
    );
  }
  const hot = h(`${key}_hot`);
  out.push(
    line([
      `hyperion: ${what}, every other change behind one file`,
      "",
      "",
      (hot * 1000).toFixed(digits),
      x(hot, h(`${key}_1000`)),
    ]),
  );
}
out.push("");
const targets: [string, boolean, string][] = [
  [
    "one-at-a-time >= 1.0x plainjob draining with its worker (worker loops)",
    h("loop_1w") >= p("loop_1w"),
    x(h("loop_1w"), p("loop_1w")),
  ],
  [
    "one-at-a-time >= 1.0x plainjob, bare calls (lease, then complete)",
    h("cycle_1w") >= p("cycle_1w"),
    `${x(h("cycle_1w"), p("cycle_1w"))} (the rows alone: ${x(f("cycle_1w"), p("cycle_1w"))})`,
  ],
  [
    "drained in batches >= 3x plainjob draining with its worker",
    h("batch_1w") >= 3 * p("loop_1w"),
    x(h("batch_1w"), p("loop_1w")),
  ],
  [
    "batched enqueue within 1.5x of raw",
    r("enqueue_batch") <= 1.5 * h("enqueue_batch"),
    `raw is ${x(r("enqueue_batch"), h("enqueue_batch"))} (the rows alone: ${x(r("enqueue_batch"), f("enqueue_batch"))})`,
  ],
  [
    "lease query flat (within 1.5x) from 1k to 100k queued",
    h("pick_100000") <= 1.5 * h("pick_1000"),
    x(h("pick_100000"), h("pick_1000")),
  ],
  [
    "lease + complete flat (within 1.5x) from 1k to 100k queued",
    h("flat_100000") <= 1.5 * h("flat_1000"),
    x(h("flat_100000"), h("flat_1000")),
  ],
];
out.push(line(["target", "met", "measured"]));
out.push(line(["---", "---", "---:"]));
for (const [name, ok, measured] of targets) out.push(line([name, ok ? "yes" : "**no**", measured]));
process.stdout.write(`${out.join("\n")}\n`);
