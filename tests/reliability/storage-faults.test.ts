import { Database } from "bun:sqlite";
import { describe, expect, test } from "bun:test";
import {
  closeSync,
  linkSync,
  openSync,
  renameSync,
  statSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";
import { DoctorReport } from "../../lib/ops/index.ts";
import { makeFileChange } from "../../lib/patch/index.ts";
import { createQueue } from "../../lib/queue/index.ts";
import { checkIntegrity, initRepo, locate, openDatabase, readSecret } from "../../lib/store/index.ts";
import { hyperion, ROOT, run, thrown, tmpdir } from "../_helpers.ts";
import { cr, SECRET } from "../queue/_fixture.ts";

const CHILD = join(import.meta.dir, "_storage-child.ts");

/** A repository with one queued change, enqueued in-process; the database is closed after. */
const repoWithOne = async () => {
  const dir = await tmpdir("hyperion-storage-");
  initRepo({ repo: dir.path });
  const loc = locate({ repo: dir.path });
  const db = openDatabase(loc.db);
  const [e] = createQueue(db, { secret: readSecret(loc) }).enqueue({
    task_id: "t-1",
    changes: [makeFileChange("a.txt", null, "a\n")],
  });
  db.close();
  return { dir, loc, id: e!.id, [Symbol.asyncDispose]: () => dir[Symbol.asyncDispose]() };
};

/** `hyperion` under bubblewrap with `.hyperion/` bind-mounted read-only (root cannot write there either). */
const readOnlyHyperion = (dir: string, args: string[]) =>
  run([
    "bwrap",
    "--dev-bind",
    "/",
    "/",
    "--ro-bind",
    join(dir, ".hyperion"),
    join(dir, ".hyperion"),
    process.execPath,
    join(ROOT, "cmd/hyperion.ts"),
    ...args,
    "--repo",
    dir,
  ]);

describe("storage faults", () => {
  test("a read-only .hyperion/: reads work, writes are E_DB_READONLY, never E_DB_CORRUPT", async () => {
    await using r = await repoWithOne();
    const list = await readOnlyHyperion(r.dir.path, ["list", "--format", "json"]);

    expect(list.exitCode).toBe(0);
    expect(JSON.parse(list.stdout).map((c: { id: string }) => c.id)).toEqual([r.id]);
    const logs = await readOnlyHyperion(r.dir.path, ["logs", "--change", r.id, "--format", "json"]);
    expect(logs.stderr).toBe("");
    expect(logs.exitCode).toBe(0);
    expect(logs.stdout).toContain("enqueued");
    const doctor = await readOnlyHyperion(r.dir.path, ["doctor", "--format", "json"]);
    const report = DoctorReport.parse(JSON.parse(doctor.stdout));
    expect(report.checks.find((c) => c.name === "writable")?.status).toBe("warn");
    expect(report.checks.filter((c) => c.status === "fail")).toEqual([]);

    const file = join(r.dir.path, "cr.json");
    writeFileSync(file, JSON.stringify({ task_id: "t-2", changes: [makeFileChange("b.txt", null, "b\n")] }));
    for (const args of [
      ["enqueue", file],
      ["approve", r.id],
      ["run", "--until-empty"],
    ]) {
      const w = await readOnlyHyperion(r.dir.path, args);
      expect(w.exitCode).toBe(1);
      expect(w.stderr).toContain("E_DB_READONLY");
      expect(w.stderr).not.toContain("E_DB_CORRUPT");
      expect(w.stderr.trim().split("\n")).toHaveLength(1);
    }
    // The database is healthy and holds what it held.
    const db = openDatabase(r.loc.db);
    expect(db.query("SELECT count(*) AS n FROM change_queue").get()).toEqual({ n: 1 });
    expect(db.query("PRAGMA quick_check").get()).toEqual({ quick_check: "ok" });
    db.close();
  }, 60_000);

  test("a full disk is E_DB_FULL: the failed write rolls back whole, acknowledged ones stay", async () => {
    // A 3 MB tmpfs under bubblewrap: the filesystem really runs out of space.
    const r = await run([
      "bwrap",
      "--dev-bind",
      "/",
      "/",
      "--size",
      "3000000",
      "--tmpfs",
      "/mnt",
      process.execPath,
      CHILD,
      "fill",
      "/mnt",
    ]);
    expect(r.stderr).toBe("");
    const seen = JSON.parse(r.stdout) as { code: string; acked: number; stored: number; check: string };
    expect(seen.code).toBe("E_DB_FULL");
    expect(seen.acked).toBeGreaterThan(0);
    expect(seen.stored).toBe(seen.acked);
    expect(seen.check).toBe("ok");
  }, 60_000);

  test("a database file deleted, or replaced, under an open connection: writes stop with E_DB_GONE", async () => {
    await using dir = await tmpdir("hyperion-storage-");
    const path = join(dir.path, "hyperion.db");
    const db = openDatabase(path, { create: true });
    const queue = createQueue(db, { secret: SECRET });
    queue.enqueue(cr(["a.txt"]));
    unlinkSync(path);
    const gone = thrown(() => queue.enqueue(cr(["b.txt"])));
    expect(gone.code as string).toBe("E_DB_GONE");
    expect(gone.message).toContain("deleted");
    // Nothing went into the unlinked file.
    expect(queue.list().length).toBe(1);
    db.close();

    const other = join(dir.path, "other.db");
    const db2 = openDatabase(path, { create: true });
    openDatabase(other, { create: true }).close();
    renameSync(other, path);
    const replaced = thrown(() => createQueue(db2, { secret: SECRET }).enqueue(cr(["c.txt"])));
    expect(replaced.code as string).toBe("E_DB_GONE");
    expect(replaced.message).toContain("replaced");
    db2.close();
  });

  test("a run whose database is deleted mid-run stops with E_DB_GONE instead of applying into the unlinked file", async () => {
    await using dir = await tmpdir("hyperion-storage-");
    initRepo({ repo: dir.path });
    const loc = locate({ repo: dir.path });
    const watcher = openDatabase(loc.db);
    const changes = Array.from({ length: 3000 }, (_, i) => ({
      task_id: `t-${i}`,
      changes: [makeFileChange(`f/${i}.txt`, null, `${i}\n`)],
    }));
    createQueue(watcher, { secret: readSecret(loc) }).enqueue(changes);
    const proc = Bun.spawn(
      [process.execPath, join(ROOT, "cmd/hyperion.ts"), "run", "--until-empty", "--repo", dir.path],
      { cwd: ROOT, stdout: "pipe", stderr: "pipe", env: { ...process.env, HYPERION_LOG: undefined } },
    );
    const applied = () =>
      (
        watcher.query("SELECT count(*) AS n FROM change_queue WHERE status = 'applied'").get() as {
          n: number;
        }
      ).n;
    const deadline = Date.now() + 60_000;
    while (applied() < 20 && Date.now() < deadline) await Bun.sleep(5);
    unlinkSync(loc.db);
    const [code, stderr] = await Promise.all([proc.exited, new Response(proc.stderr).text()]);
    expect(code).toBe(1);
    expect(stderr).toContain("E_DB_GONE");
    // The run stopped: most changes were never taken (our connection still reads the unlinked file).
    expect(applied()).toBeLessThan(3000);
    watcher.close();
  }, 90_000);

  test("a hard-linked database: writes are E_DB_LINKED, doctor warns", async () => {
    await using r = await repoWithOne();
    const db = openDatabase(r.loc.db);
    linkSync(r.loc.db, join(r.dir.path, "copy.db"));
    expect(statSync(r.loc.db).nlink).toBe(2);
    expect(thrown(() => createQueue(db, { secret: SECRET }).enqueue(cr(["b.txt"]))).code).toBe("E_DB_LINKED");
    db.close();
    const doctor = await hyperion(["doctor", "--repo", r.dir.path, "--format", "json"]);
    const links = DoctorReport.parse(JSON.parse(doctor.stdout)).checks.find((c) => c.name === "links");
    expect(links?.status).toBe("warn");
    expect(links?.summary).toContain("2 hard links");
  }, 30_000);

  test("doctor warns when the WAL is deleted after a crash", async () => {
    await using dir = await tmpdir("hyperion-storage-");
    initRepo({ repo: dir.path });
    const loc = locate({ repo: dir.path });
    // A process commits into the WAL and is killed before any checkpoint.
    const crash = await run([
      process.execPath,
      "-e",
      `const { Database } = require("bun:sqlite");
       const db = new Database(${JSON.stringify(loc.db)});
       db.run("PRAGMA wal_autocheckpoint = 0");
       for (let i = 0; i < 20; i++) db.run("INSERT INTO change_queue_logs (ts, level, event, data) VALUES (?, 'info', 'x', '{}')", [i]);
       process.kill(process.pid, "SIGKILL");`,
    ]);
    expect(crash.exitCode).not.toBe(0);
    expect(statSync(`${loc.db}-wal`).size).toBeGreaterThan(0);
    unlinkSync(`${loc.db}-wal`);
    const doctor = await hyperion(["doctor", "--repo", dir.path, "--format", "json"]);
    const check = DoctorReport.parse(JSON.parse(doctor.stdout)).checks.find((c) => c.name === "wal_present");
    expect(check?.status).toBe("warn");
    expect(check?.summary).toContain("committed frames");
  }, 30_000);

  test("a damaged page stops `run` with E_DB_CORRUPT before anything is applied", async () => {
    await using r = await repoWithOne();
    const raw = new Database(r.loc.db);
    const page = (raw.query("PRAGMA page_size").get() as { page_size: number }).page_size;
    const root = (
      raw.query("SELECT rootpage FROM sqlite_master WHERE name = 'change_queue'").get() as {
        rootpage: number;
      }
    ).rootpage;
    // Everything into the file itself first, so the damage is not masked by a newer copy in the WAL.
    raw.run("PRAGMA wal_checkpoint(TRUNCATE)");
    raw.close();
    // Scribble over the table's root page (its b-tree header), as a bad sector would.
    const fd = openSync(r.loc.db, "r+");
    writeSync(fd, Buffer.alloc(64, 0xa5), 0, 64, (root - 1) * page);
    closeSync(fd);
    const db = openDatabase(r.loc.db);
    expect(thrown(() => checkIntegrity(db)).code).toBe("E_DB_CORRUPT");
    db.close();
    const res = await hyperion(["run", "--until-empty", "--repo", r.dir.path]);
    expect(res.exitCode).toBe(1);
    expect(res.stderr).toContain("E_DB_CORRUPT");
    expect(statSync(join(r.dir.path, "a.txt"), { throwIfNoEntry: false })).toBeUndefined();
  }, 30_000);
});
