import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { makeFileChange } from "../../lib/patch/index.ts";
import { ownerId } from "../../lib/queue/index.ts";
import { stopSignal } from "../../lib/runtime/drain.ts";
import { type ProgressRecord, startRun } from "../../lib/runtime/index.ts";
import type { ChangeRequest } from "../../lib/schema/index.ts";
import { faultRepo, until } from "../reliability/_faults-repo.ts";

// Real Worker threads on a shared machine: a cap against hangs, not a speed target.
setDefaultTimeout(60_000);

const FILES = Array.from({ length: 12 }, (_, i) => `src/f${i}.txt`);
const before = (p: string) => `${p}\n`;
const after = (p: string) => `${p} new\n`;
const change = (p: string, id = `cr-${p.replace(/\W/g, "-")}`): ChangeRequest => ({
  id,
  task_id: "adhoc",
  summary: `edit ${p}`,
  changes: [makeFileChange(p, before(p), after(p))],
});

/** `run --until-empty` in this process (its pool's threads real), watching no tree. */
const runUntilEmpty = (root: string, workers: number, onProgress: (r: ProgressRecord) => void = () => {}) =>
  startRun({ repo: root, workers, untilEmpty: true, progressIntervalMs: 20, onProgress, watch: false });

/** A retryable failure, as an apply that met a locked database records it. */
const BUSY = { code: "E_BUSY", message: "database is locked", retryable: true };

describe("run --until-empty ends when a worker finds the line empty", () => {
  for (const workers of [0, 1, 3]) {
    test(`${workers === 0 ? "on the calling thread" : `${workers} worker threads`}: ends once every change is applied, exit 0`, async () => {
      await using f = await faultRepo({ files: Object.fromEntries(FILES.map((p) => [p, before(p)])) });
      f.enqueue(FILES.map((p) => change(p)));
      const summary = await runUntilEmpty(f.root, workers).done;
      expect(summary.exit_code).toBe(0);
      expect(summary.applied).toBe(FILES.length);
      expect([summary.queued, summary.leased, summary.problems]).toEqual([0, 0, []]);
      for (const p of FILES) expect(f.read(p)).toBe(after(p));
    });
  }

  test("a change waiting out a retry's backoff when the run starts keeps it going until the retry applies", async () => {
    const p = FILES[0]!;
    await using f = await faultRepo({
      files: { [p]: before(p) },
      config: { queue: { backoff_base_ms: 1_000 } },
    });
    const [c] = f.enqueue([change(p)]);
    const leased = f.queue.lease(ownerId("elsewhere"))!;
    expect(f.queue.fail(leased.id, leased.token, BUSY)).toBe("queued");
    // Queued, not due: nothing is leased and nothing can be leased yet, but the line is not empty.
    const summary = await runUntilEmpty(f.root, 2).done;
    expect(summary.exit_code).toBe(0);
    expect(summary.applied).toBe(1);
    const row = f.queue.get(c!.id)!;
    expect([row.status, row.attempts]).toEqual(["applied", 2]);
    expect(f.read(p)).toBe(after(p));
  });

  test("a lease held elsewhere keeps the run's idle workers going; its retryable failure is retried before the run ends", async () => {
    const [held, other] = [FILES[0]!, FILES[1]!];
    await using f = await faultRepo({
      files: { [held]: before(held), [other]: before(other) },
      config: { queue: { backoff_base_ms: 200 } },
    });
    const [h, o] = f.enqueue([change(held), change(other)]);
    // Another process's worker (a live owner: nothing reclaims it) holds the first change.
    const leased = f.queue.lease(ownerId("elsewhere"))!;
    expect(leased.id).toBe(h!.id);
    const ticks: ProgressRecord[] = [];
    let ended = false;
    const runner = runUntilEmpty(f.root, 2, (r) => ticks.push(r));
    const done = runner.done.finally(() => {
      ended = true;
    });
    await until(() => f.status(o!.id) === "applied" || ended, "the other change applied");
    // Every worker has found nothing to lease, again and again, while those ticks passed.
    const seen = ticks.length;
    await until(() => ticks.length >= seen + 10 || ended, "ten more progress lines");
    expect(ended).toBe(false);
    expect(f.queue.fail(leased.id, leased.token, BUSY)).toBe("queued");
    const summary = await done;
    expect(summary.exit_code).toBe(0);
    expect(summary.applied).toBe(2);
    const row = f.queue.get(h!.id)!;
    expect([row.status, row.attempts]).toEqual(["applied", 2]);
    expect([f.read(held), f.read(other)]).toEqual([after(held), after(other)]);
  });

  test("only changes awaiting approval: the run ends at once with exit 3 and names them", async () => {
    const [a, b] = [FILES[0]!, FILES[1]!];
    await using f = await faultRepo({ files: { [a]: before(a), [b]: before(b) } });
    f.queue.enqueue([change(a)], { status: "awaiting_approval" });
    // Stacked on the held change (its base is that change's result): in line, behind it, never ready.
    f.queue.enqueue(
      [{ id: "cr-held", task_id: "adhoc", changes: [makeFileChange(b, before(b), after(b))] }],
      { status: "awaiting_approval" },
    );
    f.queue.enqueue([
      { id: "cr-stacked", task_id: "adhoc", changes: [makeFileChange(b, after(b), `${after(b)}more\n`)] },
    ]);
    expect(f.queue.waitingFor("cr-stacked")).toBe("cr-held");
    const summary = await runUntilEmpty(f.root, 2).done;
    expect(summary.exit_code).toBe(3);
    expect(summary.applied).toBe(0);
    expect(summary.problems?.map((x) => `${x.id} ${x.status}`)).toEqual([
      `${change(a).id} awaiting_approval`,
      "cr-held awaiting_approval",
    ]);
    expect([f.status("cr-stacked"), f.queue.get("cr-stacked")!.attempts]).toEqual(["queued", 0]);
    expect([f.read(a), f.read(b)]).toEqual([before(a), before(b)]);
  });
});

describe("stopSignal", () => {
  test("a stop wakes a loop asleep between polls, and a stopped loop does not sleep", async () => {
    const stop = stopSignal();
    // An hour: were the stop not to wake it, the test would time out.
    const asleep = stop.sleep(3_600_000);
    expect(stop.stopped).toBe(false);
    stop.stop();
    await asleep;
    expect(stop.stopped).toBe(true);
    await stop.sleep(3_600_000);
  });
});
