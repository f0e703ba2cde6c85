import { Database } from "bun:sqlite";
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BATCH } from "../../lib/runtime/drain.ts";
import { hyperion, ROOT, tmpdir } from "../_helpers.ts";
import { edited, editsPerFile, fileName, stackedChanges, writeTree } from "./_changes.ts";

// Real child processes on a shared machine: a cap against hangs, not a speed target.
setDefaultTimeout(120_000);

const statusCounts = (dbPath: string) => {
  const db = new Database(dbPath, { readonly: true });
  const rows = db
    .query<{ status: string; n: number }, []>(
      "SELECT status, count(*) AS n FROM change_queue GROUP BY status",
    )
    .all();
  db.close();
  return Object.fromEntries(rows.map((r) => [r.status, r.n]));
};

/** Changes touching one path, in the order they were applied. */
const appliedOrder = (dbPath: string, path: string) => {
  const db = new Database(dbPath, { readonly: true });
  const rows = db
    .query<{ id: string }, [string]>(
      "SELECT f.change_id AS id FROM file_modifications f WHERE f.path = ? AND f.source = 'apply' ORDER BY f.id",
    )
    .all(path);
  db.close();
  return rows.map((r) => r.id);
};

const setup = async (files: number, lines: number, changes: number) => {
  const dir = await tmpdir();
  writeTree(dir.path, files, lines);
  expect((await hyperion(["init", "--repo", dir.path])).exitCode).toBe(0);
  const input = join(dir.path, ".hyperion", "changes.json");
  writeFileSync(input, JSON.stringify(stackedChanges(files, lines, changes)));
  const enq = await hyperion(["enqueue", input, "--repo", dir.path, "--format", "json"]);
  expect(enq.stderr).toBe("");
  expect(enq.exitCode).toBe(0);
  expect(JSON.parse(enq.stdout)).toHaveLength(changes);
  return dir;
};

/** `run --until-empty --workers 2` as a child process, once some (not all) changes are applied. */
const runUntilSome = async (repo: string, db: string) => {
  const proc = Bun.spawn(
    [
      process.execPath,
      join(ROOT, "cmd/hyperion.ts"),
      "run",
      "--repo",
      repo,
      "--until-empty",
      "--workers",
      "2",
    ],
    { stdout: "pipe", stderr: "pipe", env: { ...process.env, HYPERION_LOG: undefined } },
  );
  for (let i = 0; i < 2_000 && (statusCounts(db).applied ?? 0) < 20; i++) await Bun.sleep(5);
  return proc;
};

const expectTree = (repo: string, files: number, lines: number, changes: number) => {
  const edits = editsPerFile(files, changes);
  for (let i = 0; i < files; i++) {
    expect(readFileSync(join(repo, fileName(i)), "utf8")).toBe(edited(i, lines, edits[i]!));
  }
};

describe("hyperion run", () => {
  test("500 changes over 200 files drained by 3 workers leave the tree exactly as the changes say", async () => {
    await using dir = await setup(200, 20, 500);
    const r = await hyperion([
      "run",
      "--repo",
      dir.path,
      "--until-empty",
      "--workers",
      "3",
      "--format",
      "json",
    ]);
    expect(r.exitCode).toBe(0);
    const lines = r.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    const summary = lines.at(-1);
    expect(summary).toMatchObject({
      type: "summary",
      applied: 500,
      dead: 0,
      queued: 0,
      leased: 0,
      exit_code: 0,
    });
    expectTree(dir.path, 200, 20, 500);
    expect(statusCounts(join(dir.path, ".hyperion/hyperion.db"))).toEqual({ applied: 500 });
    // Every applied batch took the write lock at least three times (lease, intent, done with its
    // completion), and the threads' holds, one at a time, fit in the run.
    expect(summary.write_lock.holds).toBeGreaterThanOrEqual(3 * Math.ceil(500 / BATCH));
    expect(summary.write_lock.held_ms).toBeGreaterThan(0);
    expect(summary.write_lock.held_ms).toBeLessThanOrEqual(summary.elapsed_ms);
    // The watcher saw every write, and knew each one for Hyperion's own.
    const db = new Database(join(dir.path, ".hyperion/hyperion.db"), { readonly: true });
    const sources = db
      .query<{ source: string; n: number }, []>(
        "SELECT source, count(*) AS n FROM file_modifications GROUP BY source",
      )
      .all();
    db.close();
    expect(sources).toEqual([{ source: "apply", n: 500 }]);
    // Same-file changes were applied in queue order.
    expect(appliedOrder(join(dir.path, ".hyperion/hyperion.db"), fileName(7))).toEqual([
      "cr-7",
      "cr-207",
      "cr-407",
    ]);
  });

  test("SIGINT mid-run exits 130 and loses nothing, and a second run finishes the rest", async () => {
    await using dir = await setup(100, 200, 600);
    const db = join(dir.path, ".hyperion/hyperion.db");
    const proc = await runUntilSome(dir.path, db);
    proc.kill("SIGINT");
    expect(await proc.exited).toBe(130);
    // The last line says what is still queued and how to resume.
    const stderr = await new Response(proc.stderr).text();
    expect(stderr.trim().split("\n").at(-1)).toMatch(
      /^hyperion: interrupted: \d+ queued, 0 leased, 0 awaiting approval remain \(resume with `hyperion run`\)$/,
    );
    const mid = statusCounts(db);
    expect(mid.leased).toBeUndefined();
    expect(mid.applied).toBeGreaterThan(0);
    expect((mid.applied ?? 0) + (mid.queued ?? 0)).toBe(600);

    const rest = await hyperion(["run", "--repo", dir.path, "--until-empty"]);
    expect(rest.exitCode).toBe(0);
    expect(statusCounts(db)).toEqual({ applied: 600 });
    expectTree(dir.path, 100, 200, 600);
  });

  test("a second SIGTERM exits at once; the next run repairs what was half done and finishes", async () => {
    await using dir = await setup(100, 200, 600);
    const db = join(dir.path, ".hyperion/hyperion.db");
    const proc = await runUntilSome(dir.path, db);
    proc.kill("SIGTERM");
    proc.kill("SIGTERM");
    const code = await proc.exited;
    expect(code).toBe(130);

    const rest = await hyperion(["run", "--repo", dir.path, "--until-empty"]);
    expect(rest.exitCode).toBe(0);
    expect(statusCounts(db)).toEqual({ applied: 600 });
    expectTree(dir.path, 100, 200, 600);
  });

  test("--max-changes stops after exactly that many", async () => {
    await using dir = await setup(10, 10, 30);
    const r = await hyperion([
      "run",
      "--repo",
      dir.path,
      "--max-changes",
      "12",
      "--workers",
      "3",
      "--format",
      "json",
    ]);
    expect(r.exitCode).toBe(0);
    expect(statusCounts(join(dir.path, ".hyperion/hyperion.db"))).toEqual({ applied: 12, queued: 18 });
  });

  test("a change that can never apply becomes a dead letter and run exits 3", async () => {
    await using dir = await setup(2, 5, 2);
    // One attempt only, so the failure is final at once instead of after backoff.
    writeFileSync(join(dir.path, ".hyperion/config.json"), JSON.stringify({ queue: { max_attempts: 1 } }));
    // Someone rewrote the file entirely: the queued patch no longer fits.
    writeFileSync(join(dir.path, fileName(0)), "something else entirely\n");
    const r = await hyperion(["run", "--repo", dir.path, "--until-empty", "--format", "json", "--no-watch"]);
    expect(r.exitCode).toBe(3);
    expect(JSON.parse(r.stdout.trim().split("\n").at(-1)!)).toMatchObject({
      applied: 1,
      dead: 1,
      exit_code: 3,
    });
  });
});

describe("hyperion worker", () => {
  test("applies what is enqueued while it runs, and stops on SIGINT with a summary", async () => {
    await using dir = await tmpdir();
    writeTree(dir.path, 5, 5);
    expect((await hyperion(["init", "--repo", dir.path])).exitCode).toBe(0);
    const db = join(dir.path, ".hyperion/hyperion.db");
    const proc = Bun.spawn(
      [
        process.execPath,
        join(ROOT, "cmd/hyperion.ts"),
        "worker",
        "--repo",
        dir.path,
        "--format",
        "json",
        "--progress-interval",
        "0.2",
      ],
      { stdout: "pipe", stderr: "pipe", env: { ...process.env, HYPERION_LOG: undefined } },
    );
    writeFileSync(join(dir.path, ".hyperion/later.json"), JSON.stringify(stackedChanges(5, 5, 5)));
    expect(
      (await hyperion(["enqueue", join(dir.path, ".hyperion/later.json"), "--repo", dir.path])).exitCode,
    ).toBe(0);
    for (let i = 0; i < 2_000 && (statusCounts(db).applied ?? 0) < 5; i++) await Bun.sleep(5);
    expect(statusCounts(db)).toEqual({ applied: 5 });
    // Progress arrives as NDJSON while it runs; wait for a line, then stop it.
    let out = "";
    const decoder = new TextDecoder();
    const reading = (async () => {
      for await (const chunk of proc.stdout) out += decoder.decode(chunk);
    })();
    for (let i = 0; i < 2_000 && !out.includes('"type":"progress"'); i++) await Bun.sleep(5);
    proc.kill("SIGINT");
    expect(await proc.exited).toBe(130);
    await reading;
    const lines = out
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines.at(-1)).toMatchObject({ type: "summary", applied: 5, exit_code: 130, interrupted: true });
    expect(lines.some((l) => l.type === "progress")).toBe(true);
  });
});
