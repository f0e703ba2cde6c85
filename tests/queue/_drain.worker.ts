// One worker thread of the drain test: its own connection, leasing (one at a time or in
// batches) until nothing is queued or leased. "Applying" takes an exclusive lock file per path
// (O_EXCL), so two workers ever holding one path at once is seen, and appends the change id to
// the path's order file, so the order changes landed in is checked against queue order.
import { appendFileSync, closeSync, openSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import { createQueue, type Leased, ownerId } from "../../lib/queue/index.ts";
import { type ChangeRequest, ChangeRequest as CR } from "../../lib/schema/index.ts";
import { openDatabase } from "../../lib/store/index.ts";
import { SECRET } from "./_fixture.ts";

declare const self: Worker;

export type DrainReport = {
  worker: string;
  applied: number;
  failedOnPurpose: number;
  lost: number;
  badSignature: number;
  violations: string[];
  intervals: [number, number][];
};

const key = (p: string) => Buffer.from(p).toString("hex");
const clock = () => performance.timeOrigin + performance.now();

self.onmessage = async (e: MessageEvent<{ path: string; dir: string; name: string; batch: number }>) => {
  const { path, dir, name, batch } = e.data;
  const db = openDatabase(path, { busyTimeoutMs: 5_000 });
  const queue = createQueue(db, { secret: SECRET, config: { backoff_base_ms: 1, backoff_max_ms: 5 } });
  const open = db.query("SELECT count(*) AS n FROM change_queue WHERE status IN ('queued', 'leased')");
  const owner = ownerId(name);
  const r: DrainReport = {
    worker: owner,
    applied: 0,
    failedOnPurpose: 0,
    lost: 0,
    badSignature: 0,
    violations: [],
    intervals: [],
  };

  const apply = (l: Leased): boolean => {
    if (!queue.verify(l)) r.badSignature++;
    const cr: ChangeRequest = CR.parse(JSON.parse(l.payload));
    const paths = [...new Set(cr.changes.flatMap((c) => [c.path, ...(c.new_path ? [c.new_path] : [])]))];
    const start = clock();
    const held: string[] = [];
    for (const p of paths) {
      try {
        closeSync(openSync(join(dir, "locks", key(p)), "wx"));
        held.push(p);
      } catch {
        r.violations.push(`${l.id} found ${p} held`);
      }
    }
    // Changes whose summary says so fail once (retryable), to exercise backoff under load.
    const failNow = cr.summary === "flaky" && l.attempts === 1;
    if (!failNow) for (const p of paths) appendFileSync(join(dir, "order", key(p)), `${l.seq}\n`);
    for (const p of held) unlinkSync(join(dir, "locks", key(p)));
    r.intervals.push([start, clock()]);
    return !failNow;
  };

  for (;;) {
    const leased =
      batch > 1 ? queue.leaseBatch(owner, batch, { pollMs: 1 }) : [queue.lease(owner, { pollMs: 1 })];
    const got = leased.filter((l): l is Leased => l !== null);
    if (got.length === 0) {
      if ((open.get() as { n: number }).n === 0) break;
      await Bun.sleep(1); // the worker's poll interval, as a real worker has
      continue;
    }
    const ok: Leased[] = [];
    for (const l of got) {
      if (apply(l)) ok.push(l);
      else {
        queue.fail(l.id, l.token, { code: "E_INJECTED", message: "fails once", retryable: true });
        r.failedOnPurpose++;
      }
    }
    if (batch > 1) {
      const done = queue.completeMany(ok.map((l) => ({ id: l.id, token: l.token })));
      r.applied += done.applied.length;
      r.lost += done.lost.length;
    } else {
      for (const l of ok) {
        queue.complete(l.id, l.token);
        r.applied++;
      }
    }
  }
  db.close();
  self.postMessage(r);
};
