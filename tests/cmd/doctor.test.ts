import { Database } from "bun:sqlite";
import { describe, expect, test } from "bun:test";
import { chmodSync, closeSync, mkdirSync, openSync, statSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { type Check, DoctorReport } from "../../lib/ops/index.ts";
import { createQueue } from "../../lib/queue/index.ts";
import { referenceSchema } from "../../lib/store/doctor-sql.ts";
import { initRepo, locate, openDatabase, readSecret } from "../../lib/store/index.ts";
import { hyperion, tmpdir } from "../_helpers.ts";

const doctor = async (repo: string, ...flags: string[]) => {
  const r = await hyperion(["doctor", "--repo", repo, "--format", "json", ...flags]);
  expect(r.stderr).toBe("");
  const report = DoctorReport.parse(JSON.parse(r.stdout));
  const check = (name: string): Check => report.checks.find((c) => c.name === name)!;
  return { exitCode: r.exitCode, report, check };
};

/** A fresh repository, initialised in-process; `db` is a raw connection for planting faults. */
const fresh = async () => {
  const dir = await tmpdir("hyperion-doctor-");
  initRepo({ repo: dir.path });
  const loc = locate({ repo: dir.path });
  return { dir, repo: dir.path, loc, [Symbol.asyncDispose]: () => dir[Symbol.asyncDispose]() };
};

const raw = <T>(path: string, fn: (db: Database) => T): T => {
  const db = new Database(path);
  try {
    return fn(db);
  } finally {
    db.close();
  }
};

const enqueue = (path: string, secret: Uint8Array, n: number, now?: () => number) => {
  const db = openDatabase(path);
  try {
    const q = createQueue(db, { secret, ...(now ? { now } : {}) });
    q.enqueue(
      Array.from({ length: n }, (_, i) => ({
        id: `c${i}`,
        task_id: `t${i}`,
        summary: `change number ${i} with a summary long enough to fill pages`,
        changes: [{ path: `src/f${i}.ts`, operation: "create" as const, patch: "" }],
      })),
    );
    return q;
  } finally {
    db.close();
  }
};

describe("hyperion doctor", () => {
  test("a healthy repository: every check ok or warn, exit 0, JSON matching DoctorReport", async () => {
    await using r = await fresh();
    const { exitCode, report, check } = await doctor(r.repo);
    expect(exitCode).toBe(0);
    expect(report.ok).toBe(true);
    for (const name of [
      "database",
      "tables",
      "indexes",
      "journal_mode",
      "integrity",
      "wal",
      "leases",
      "stuck",
      "archive",
      "secret",
      "config",
      "workplan",
      "agents",
    ])
      expect(check(name)).toBeDefined();
    expect(report.checks.filter((c) => c.status === "fail")).toEqual([]);
    expect(check("workplan").status).toBe("warn");
    for (const c of report.checks) if (c.status !== "ok") expect(c.fix).toBeTruthy();
  });

  test("no database: fails naming `hyperion init`", async () => {
    await using dir = await tmpdir();
    const { exitCode, check } = await doctor(dir.path);
    expect(exitCode).toBe(1);
    expect(check("database")).toMatchObject({ status: "fail" });
    expect(check("database").fix).toContain("hyperion init");
  });

  test("finds a missing index by name and --fix recreates it", async () => {
    await using r = await fresh();
    // Any index the migrations create will do: take the first on change_queue.
    const [name, expected] = [...referenceSchema().indexes].find(([, o]) => o.table === "change_queue")!;
    raw(r.loc.db, (db) => db.run(`DROP INDEX ${name}`));
    const before = await doctor(r.repo);
    expect(before.exitCode).toBe(1);
    expect(before.check("indexes")).toMatchObject({ status: "fail", fixable: true });
    expect(before.check("indexes").summary).toContain(name);
    const after = await doctor(r.repo, "--fix");
    expect(after.report.fixed).toContainEqual({ name: "indexes", action: `recreated ${name}` });
    expect(after.check("indexes").status).toBe("ok");
    expect(after.exitCode).toBe(0);
    const sql = raw(r.loc.db, (db) =>
      db.query<{ sql: string }, [string]>("SELECT sql FROM sqlite_master WHERE name = ?").get(name),
    );
    expect(sql?.sql).toBe(expected.sql);
  });

  test("finds the wrong journal mode without changing it; --fix switches to WAL", async () => {
    await using r = await fresh();
    raw(r.loc.db, (db) => db.run("PRAGMA journal_mode = DELETE"));
    const mode = () =>
      raw(
        r.loc.db,
        (db) => db.query<{ journal_mode: string }, []>("PRAGMA journal_mode").get()?.journal_mode,
      );
    const before = await doctor(r.repo);
    expect(before.exitCode).toBe(1);
    expect(before.check("journal_mode")).toMatchObject({ status: "fail", fixable: true });
    expect(before.check("journal_mode").summary).toContain("delete");
    expect(mode()).toBe("delete");
    const after = await doctor(r.repo, "--fix");
    expect(after.exitCode).toBe(0);
    expect(after.check("journal_mode").status).toBe("ok");
    expect(mode()).toBe("wal");
  });

  test("finds a stale lease and --fix returns it to the queue", async () => {
    await using r = await fresh();
    const secret = readSecret(r.loc);
    const hourAgo = Date.now() - 3_600_000;
    enqueue(r.loc.db, secret, 2, () => hourAgo);
    const db = openDatabase(r.loc.db);
    try {
      // Leased an hour ago for one second, by a worker that never came back.
      const leased = createQueue(db, { secret, now: () => hourAgo }).lease("elsewhere:1:w1", {
        leaseMs: 1_000,
      });
      expect(leased?.id).toBe("c0");
    } finally {
      db.close();
    }
    const before = await doctor(r.repo);
    expect(before.check("leases")).toMatchObject({
      status: "warn",
      fixable: true,
      details: { changes: ["c0"] },
    });
    const after = await doctor(r.repo, "--fix");
    expect(after.report.fixed).toContainEqual({
      name: "leases",
      action: "returned 1 stale lease to the queue",
    });
    expect(after.check("leases").status).toBe("ok");
    const status = raw(r.loc.db, (d) =>
      d.query<{ status: string }, []>("SELECT status FROM change_queue WHERE id = 'c0'").get(),
    );
    expect(status?.status).toBe("queued");
  });

  test("finds a corrupt page; --fix cannot repair it and says so with exit 1", async () => {
    await using r = await fresh();
    enqueue(r.loc.db, readSecret(r.loc), 300);
    const { root, size } = raw(r.loc.db, (db) => {
      db.run("PRAGMA wal_checkpoint(TRUNCATE)");
      return {
        root: db
          .query<{ rootpage: number }, []>("SELECT rootpage FROM sqlite_master WHERE name = 'change_queue'")
          .get()!.rootpage,
        size: db.query<{ page_size: number }, []>("PRAGMA page_size").get()!.page_size,
      };
    });
    expect(statSync(r.loc.db).size).toBeGreaterThan(root * size);
    const fd = openSync(r.loc.db, "r+");
    writeSync(fd, Buffer.alloc(64, 0xa5), 0, 64, (root - 1) * size);
    closeSync(fd);
    const before = await doctor(r.repo);
    expect(before.exitCode).toBe(1);
    expect(before.check("integrity")).toMatchObject({ status: "fail", fixable: false });
    expect(before.check("integrity").fix).toContain("backup");
    const after = await doctor(r.repo, "--fix", "--full");
    expect(after.exitCode).toBe(1);
    expect(after.check("integrity").status).toBe("fail");
    expect(after.check("integrity").summary).toStartWith("integrity_check:");
  });

  test("finds a world-readable secret and --fix makes it owner-only", async () => {
    await using r = await fresh();
    chmodSync(r.loc.secret, 0o644);
    const before = await doctor(r.repo);
    expect(before.exitCode).toBe(1);
    expect(before.check("secret")).toMatchObject({ status: "fail", fixable: true, details: { mode: "644" } });
    const after = await doctor(r.repo, "--fix");
    expect(after.exitCode).toBe(0);
    expect(after.check("secret").status).toBe("ok");
    expect(statSync(r.loc.secret).mode & 0o777).toBe(0o600);
  });

  test("a database behind on migrations: --fix applies them", async () => {
    await using dir = await tmpdir();
    initRepo({ repo: dir.path });
    const loc = locate({ repo: dir.path });
    // An init interrupted before its first migration: the file exists, the schema does not.
    writeFileSync(loc.db, "");
    const before = await doctor(dir.path);
    expect(before.exitCode).toBe(1);
    expect(before.check("database")).toMatchObject({ status: "fail", fixable: true });
    const after = await doctor(dir.path, "--fix");
    expect(after.report.fixed.map((f) => f.name)).toContain("database");
    expect(after.check("database").status).toBe("ok");
    expect(after.check("tables").status).toBe("ok");
    expect(after.exitCode).toBe(0);
  });

  test("the table names each finding and its fix, without colour off a terminal", async () => {
    await using r = await fresh();
    chmodSync(r.loc.secret, 0o640);
    const out = await hyperion(["doctor", "--repo", r.repo]);
    expect(out.exitCode).toBe(1);
    expect(out.stdout).not.toContain("\x1b[");
    expect(out.stdout).toMatch(/^FAIL\s+secret\s+.*mode 640/m);
    expect(out.stdout).toContain(`chmod 600 ${r.loc.secret}`);
    expect(out.stdout).toMatch(/1 failed, \d+ warnings?/);
  });

  test("names the coding CLIs on PATH with their versions, and fails when the configured one is missing", async () => {
    await using r = await fresh();
    const bin = join(r.repo, "bin");
    mkdirSync(bin);
    // A stand-in for the real CLI: same name, answers --version the way it does.
    writeFileSync(
      join(bin, "copilot"),
      '#!/bin/sh\n[ "$1" = --version ] && echo "1.0.102" && exit 0\nexit 2\n',
      {
        mode: 0o755,
      },
    );
    const run = (agent: string) =>
      hyperion(["doctor", "--repo", r.repo, "--format", "json"], {
        env: { PATH: bin, HYPERION_AGENT: agent },
      });
    const found = DoctorReport.parse(JSON.parse((await run("copilot")).stdout));
    const agents = found.checks.find((c) => c.name === "agents")!;
    expect(agents).toMatchObject({
      status: "ok",
      details: { agent: "copilot", versions: { copilot: "1.0.102" } },
    });
    expect(agents.summary).toContain("copilot 1.0.102");
    const missing = await run("claude");
    expect(missing.exitCode).toBe(1);
    const check = DoctorReport.parse(JSON.parse(missing.stdout)).checks.find((c) => c.name === "agents")!;
    expect(check).toMatchObject({ status: "fail" });
    expect(check.summary).toContain("`claude` is not on PATH");
  });
});
