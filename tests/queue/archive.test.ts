import { Database } from "bun:sqlite";
import { describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { applyChange, makeFileChange } from "../../lib/patch/index.ts";
import type { Leased } from "../../lib/queue/index.ts";
import { OLD_EXTERNAL_IDS } from "../../lib/store/queue/archive.ts";
import { runtimeSql } from "../../lib/store/runtime-sql.ts";
import { cr, manualClock, queueFixture, SECRET } from "./_fixture.ts";

const DAY = 86_400_000;

/** A working tree beside the queue's database holding a.txt, and a way to apply a leased change to it. */
const treeWith = (f: Awaited<ReturnType<typeof queueFixture>>, content: string) => {
  const repo = join(f.dir, "repo");
  mkdirSync(repo);
  writeFileSync(join(repo, "a.txt"), content);
  return (l: Leased) =>
    applyChange({
      repo,
      db: f.db,
      secret: SECRET,
      change: { id: l.id, payload: l.payload, signature: l.signature },
    });
};

describe("archive", () => {
  test("moves finished changes older than the TTL, with paths, logs and dead letters, in batches", async () => {
    const clock = manualClock(Date.UTC(2026, 10, 1));
    await using f = await queueFixture({ now: clock.now });
    const old = f.queue.enqueue([cr(["a"]), cr(["b"]), cr(["c"]), cr(["d"]), cr(["e"])]);
    for (const l of f.queue.leaseBatch("w", 4)) f.queue.complete(l.id, l.token);
    const e = f.queue.lease("w")!;
    f.queue.fail(e.id, e.token, { code: "E_X", message: "x", retryable: false });
    f.queue.log(null, "note", { loose: true });
    clock.advance(8 * DAY);
    const [fresh] = f.queue.enqueue(cr(["a"]));
    const lf = f.queue.lease("w")!;
    f.queue.complete(lf.id, lf.token);
    const [open] = f.queue.enqueue(cr(["z"]));

    const dry = f.queue.archive({ olderThanMs: 7 * DAY, dryRun: true });
    expect(dry).toMatchObject({ moved: 5, dry_run: true, batches: 0 });
    expect(f.queue.get(old[0]!.id)).not.toBeNull();

    const r = f.queue.archive({ olderThanMs: 7 * DAY, batch: 2 });
    expect(r).toMatchObject({ moved: 5, batches: 3, dry_run: false, logs: dry.logs });
    expect(r.file).toBe(join(f.dir, "archive", "changes-2026-11.db"));
    for (const o of old) expect(f.queue.get(o.id)).toBeNull();
    expect(f.queue.deadLetter(e.id)).toBeNull();
    expect(f.queue.get(fresh!.id)!.status).toBe("applied");
    expect(f.queue.get(open!.id)!.status).toBe("queued");
    expect(f.db.query("SELECT count(*) AS n FROM change_paths").get()).toEqual({ n: 2 });
    expect(f.db.query("SELECT count(*) AS n FROM change_payloads").get()).toEqual({ n: 2 });

    const arch = new Database(r.file, { readonly: true });
    expect(arch.query("SELECT count(*) AS n FROM change_queue").get()).toEqual({ n: 5 });
    expect(arch.query("SELECT count(*) AS n FROM change_paths").get()).toEqual({ n: 5 });
    // Each archived change keeps its signed payload.
    expect(
      arch
        .query(
          "SELECT count(*) AS n FROM change_queue c JOIN change_payloads p ON p.payload_id = c.payload_id",
        )
        .get(),
    ).toEqual({ n: 5 });
    expect(arch.query("SELECT reason_code FROM dead_letters").all()).toEqual([{ reason_code: "E_X" }]);
    expect(arch.query("SELECT count(*) AS n FROM change_queue_logs").get()).toEqual({ n: r.logs });
    expect(arch.query("SELECT event FROM change_queue_logs WHERE change_id IS NULL").all()).toEqual([
      { event: "note" },
    ]);
    arch.close();
    expect(f.queue.archive({ olderThanMs: 7 * DAY })).toMatchObject({ moved: 0, logs: 0, batches: 0 });
  });

  test("a payload id is never reused after archival emptied the live table, so archived payloads stay their own", async () => {
    const clock = manualClock(Date.UTC(2026, 10, 1));
    await using f = await queueFixture({ now: clock.now });
    const archiveAll = () => {
      for (let l = f.queue.lease("w"); l; l = f.queue.lease("w")) f.queue.complete(l.id, l.token);
      clock.advance(8 * DAY);
      return f.queue.archive({ olderThanMs: 7 * DAY }).file;
    };
    const [first] = f.queue.enqueue({ ...cr(["a"]), summary: "first" });
    archiveAll();
    const [second] = f.queue.enqueue({ ...cr(["a"]), summary: "second" });
    const file = archiveAll();
    const arch = new Database(file, { readonly: true });
    const summaries = arch
      .query<{ id: string; payload: string }, []>(
        "SELECT c.id, p.payload FROM change_queue c JOIN change_payloads p ON p.payload_id = c.payload_id ORDER BY c.seq",
      )
      .all()
      .map((r) => [r.id, (JSON.parse(r.payload) as { summary: string }).summary]);
    arch.close();
    expect(summaries).toEqual([
      [first!.id, "first"],
      [second!.id, "second"],
    ]);
  });

  test("event ids keep climbing after archival moved the newest ones, so no archived event is overwritten", async () => {
    const clock = manualClock(Date.UTC(2026, 10, 1));
    await using f = await queueFixture({ now: clock.now });
    const ids: string[] = [];
    let file = "";
    for (let round = 0; round < 3; round++) {
      ids.push(f.queue.enqueue(cr(["a"]))[0]!.id);
      const l = f.queue.lease("w")!;
      f.queue.complete(l.id, l.token);
      clock.advance(8 * DAY);
      // A TTL below zero moves everything finished; the run must still end.
      file = f.queue.archive({ olderThanMs: -1 }).file;
    }
    const arch = new Database(file, { readonly: true });
    const events = arch
      .query<{ change_id: string; event: string }, []>(
        "SELECT change_id, event FROM change_queue_logs WHERE change_id IS NOT NULL ORDER BY id",
      )
      .all();
    arch.close();
    expect(events).toEqual(
      ids.flatMap((id) => [
        { change_id: id, event: "enqueued" },
        { change_id: id, event: "applied" },
      ]),
    );
    const live = f.db.query<{ id: number }, []>("SELECT id FROM change_queue_logs ORDER BY id").all();
    expect(live.length).toBeGreaterThan(0);
  });

  test("a change's apply records move with it; a finished change whose apply is still pending stays", async () => {
    const clock = manualClock(Date.UTC(2026, 10, 1));
    await using f = await queueFixture({ now: clock.now });
    const apply = treeWith(f, "1\n");
    f.queue.enqueue({ task_id: "t", changes: [makeFileChange("a.txt", "1\n", "2\n")] });
    const a = f.queue.lease("w")!;
    apply(a);
    f.queue.complete(a.id, a.token);
    // Finished in the queue, but its apply awaits recovery after a crash.
    f.queue.enqueue(cr(["b"]));
    const b = f.queue.lease("w")!;
    f.queue.complete(b.id, b.token);
    f.db.run(
      "INSERT INTO apply_journal (change_id, kind, state, owner, plan, created_at, updated_at) VALUES (?, 'apply', 'pending', 'x', '{}', 0, 0)",
      [b.id],
    );
    clock.advance(8 * DAY);
    expect(f.queue.archive({ olderThanMs: 7 * DAY, dryRun: true }).moved).toBe(1);
    const r = f.queue.archive({ olderThanMs: 7 * DAY });
    expect(r.moved).toBe(1);
    const counts = (db: Database, id: string) =>
      ["apply_journal", "pre_images", "file_modifications"].map(
        (t) =>
          db.query<{ n: number }, [string]>(`SELECT count(*) AS n FROM ${t} WHERE change_id = ?`).get(id)!.n,
      );
    expect(counts(f.db, a.id)).toEqual([0, 0, 0]);
    expect(f.queue.get(b.id)?.status).toBe("applied");
    expect(counts(f.db, b.id)).toEqual([1, 0, 0]);
    const arch = new Database(r.file, { readonly: true });
    expect(counts(arch, a.id)).toEqual([1, 1, 1]);
    arch.close();
  });

  test("external edits older than the TTL move to the archive, in batches, and a second copy is never made", async () => {
    const clock = manualClock(Date.UTC(2026, 10, 1));
    await using f = await queueFixture({ now: clock.now });
    const watch = runtimeSql(f.db);
    for (let i = 0; i < 5; i++) watch.recordExternal(`src/old${i}.ts`, "modified", clock.now());
    clock.advance(8 * DAY);
    watch.recordExternal("src/young.ts", "created", clock.now());
    const external = (db: Database) =>
      db
        .query<{ path: string }, []>(
          "SELECT path FROM file_modifications WHERE change_id IS NULL ORDER BY id",
        )
        .all()
        .map((r) => r.path);

    expect(f.queue.archive({ olderThanMs: 7 * DAY, dryRun: true })).toMatchObject({ modifications: 5 });
    // A crash after the archive committed and before the live database did leaves a copy behind;
    // moving the row again must not make a second one.
    const file = join(f.dir, "archive", "changes-2026-11.db");
    mkdirSync(join(f.dir, "archive"));
    const pre = new Database(file, { create: true });
    pre.run(
      "CREATE TABLE file_modifications (id INTEGER, path TEXT, kind TEXT, change_id TEXT, source TEXT, journal_id INTEGER, new_path TEXT, sha256_before TEXT, sha256_after TEXT, added INTEGER, removed INTEGER, ts INTEGER, PRIMARY KEY (change_id, id))",
    );
    pre.run(
      "INSERT INTO file_modifications SELECT * FROM (SELECT 1, 'src/old0.ts', 'modified', NULL, 'external', NULL, NULL, NULL, NULL, NULL, NULL, ?)",
      [Date.UTC(2026, 10, 1)],
    );
    pre.close();

    const r = f.queue.archive({ olderThanMs: 7 * DAY, batch: 2 });
    expect(r).toMatchObject({ moved: 0, modifications: 5, batches: 3 });
    expect(external(f.db)).toEqual(["src/young.ts"]);
    const arch = new Database(r.file, { readonly: true });
    expect(external(arch)).toEqual([0, 1, 2, 3, 4].map((i) => `src/old${i}.ts`));
    arch.close();
    expect(f.queue.archive({ olderThanMs: 7 * DAY })).toMatchObject({ modifications: 0, batches: 0 });
  });

  test("a batch finds old external edits through their own index, never walking the edits of applies", async () => {
    await using f = await queueFixture();
    const plan = f.db
      .query<{ detail: string }, [number, number]>(`EXPLAIN QUERY PLAN ${OLD_EXTERNAL_IDS}`)
      .all(0, 1)
      .map((r) => r.detail);
    expect(plan).toEqual(["SEARCH main.file_modifications USING INDEX file_modifications_external (ts<?)"]);
  });

  test("a change id that comes back after archival keeps both changes' dead letters and apply records, in an archive made before the keys grew too", async () => {
    const clock = manualClock(Date.UTC(2026, 10, 1));
    await using f = await queueFixture({ now: clock.now });
    const apply = treeWith(f, "0\n");
    // An archive written by an earlier version: dead letters keyed by change id alone.
    const file = join(f.dir, "archive", "changes-2026-11.db");
    mkdirSync(join(f.dir, "archive"));
    const pre = new Database(file, { create: true });
    pre.run(
      "CREATE TABLE dead_letters (change_id TEXT, reason_code TEXT, message TEXT, last_error TEXT, attempts INTEGER, dead_at INTEGER, PRIMARY KEY (change_id))",
    );
    pre.run("INSERT INTO dead_letters VALUES ('cr-again', 'E_X', 'earlier', NULL, 1, 1)");
    pre.close();

    for (const round of [1, 2]) {
      f.queue.enqueue({
        id: "cr-again",
        task_id: "t",
        changes: [makeFileChange("a.txt", `${round - 1}\n`, `${round}\n`)],
      });
      const l = f.queue.lease("w")!;
      apply(l);
      f.queue.fail(l.id, l.token, { code: "E_X", message: `round ${round}`, retryable: false });
      clock.advance(8 * DAY);
      expect(f.queue.archive({ olderThanMs: 7 * DAY }).moved).toBe(1);
    }

    const arch = new Database(file, { readonly: true });
    expect(
      arch.query("SELECT message FROM dead_letters WHERE change_id = 'cr-again' ORDER BY dead_at").all(),
    ).toEqual([{ message: "earlier" }, { message: "round 1" }, { message: "round 2" }]);
    for (const table of ["apply_journal", "pre_images", "file_modifications"]) {
      const n = arch
        .query<{ n: number }, []>(`SELECT count(*) AS n FROM ${table} WHERE change_id = 'cr-again'`)
        .get()!.n;
      expect(`${table}: ${n}`).toBe(`${table}: 2`);
    }
    expect(arch.query("SELECT count(*) AS n FROM change_queue WHERE id = 'cr-again'").get()).toEqual({
      n: 2,
    });
    arch.close();
  });

  test("a dry run counts and writes nothing, not even the archive file", async () => {
    await using f = await queueFixture();
    const [a] = f.queue.enqueue(cr(["a"]));
    const l = f.queue.lease("w")!;
    f.queue.complete(l.id, l.token);
    expect(f.queue.archive({ olderThanMs: -1, dryRun: true })).toMatchObject({ moved: 1, logs: 2 });
    expect(existsSync(join(f.dir, "archive"))).toBe(false);
    expect(f.queue.get(a!.id)!.status).toBe("applied");
  });
});
