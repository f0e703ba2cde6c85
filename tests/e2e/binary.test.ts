import { beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { run, tmpdir } from "../_helpers.ts";
import { planText } from "../reliability/_faults-repo.ts";
import { edited, editsPerFile, fileName, stackedChanges, writeTree } from "../runtime/_changes.ts";
import { compiledBinary } from "./_binary.ts";

// Real child processes on a shared machine: a cap against hangs, not a speed target.
setDefaultTimeout(120_000);

// The compiled executable, run from outside the source tree.
let bin = "";

beforeAll(async () => {
  bin = await compiledBinary();
});

describe("compiled hyperion", () => {
  test("prints its version", async () => {
    await using cwd = await tmpdir();
    const r = await run([bin, "--version"], { cwd: cwd.path });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
  });

  test("initialises a repository outside the source tree", async () => {
    await using cwd = await tmpdir();
    const r = await run([bin, "init"], { cwd: cwd.path });
    expect(r.exitCode).toBe(0);
    expect(existsSync(join(cwd.path, ".hyperion/hyperion.db"))).toBe(true);
  });

  test("prints a JSON Schema and refuses an unknown one", async () => {
    await using cwd = await tmpdir();
    const ok = await run([bin, "schema", "change-request"], { cwd: cwd.path });
    expect(ok.exitCode).toBe(0);
    expect(JSON.parse(ok.stdout).properties.changes.type).toBe("array");
    const bad = await run([bin, "schema", "nope"], { cwd: cwd.path });
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toStartWith("hyperion: E_UNKNOWN_SCHEMA");
  });

  test("drains a queue with worker threads", async () => {
    await using repo = await tmpdir();
    writeTree(repo.path, 20, 10);
    expect((await run([bin, "init"], { cwd: repo.path })).exitCode).toBe(0);
    writeFileSync(join(repo.path, ".hyperion/in.json"), JSON.stringify(stackedChanges(20, 10, 50)));
    const enq = await run([bin, "enqueue", ".hyperion/in.json"], { cwd: repo.path });
    expect(enq.exitCode).toBe(0);
    const r = await run([bin, "run", "--until-empty", "--workers", "2", "--format", "json"], {
      cwd: repo.path,
    });
    expect(r.stderr).toBe("");
    expect(r.exitCode).toBe(0);
    expect(JSON.parse(r.stdout.trim().split("\n").at(-1)!)).toMatchObject({
      applied: 50,
      workers: 2,
      exit_code: 0,
    });
    const edits = editsPerFile(20, 50);
    for (let i = 0; i < 20; i++)
      expect(readFileSync(join(repo.path, fileName(i)), "utf8")).toBe(edited(i, 10, edits[i]!));
  });

  // Threads start while the run checks the store: a run that refuses to start, or needs fewer
  // threads than it started, must end them, or the process would never exit.
  const planned = async (validation: string) => {
    const repo = await tmpdir();
    writeTree(repo.path, 2, 5);
    expect((await run([bin, "init"], { cwd: repo.path })).exitCode).toBe(0);
    writeFileSync(join(repo.path, ".hyperion/in.json"), JSON.stringify(stackedChanges(2, 5, 2)));
    expect((await run([bin, "enqueue", ".hyperion/in.json"], { cwd: repo.path })).exitCode).toBe(0);
    writeFileSync(join(repo.path, "WORKPLAN.md"), planText([validation], [validation]));
    return repo;
  };

  test("a run refused at start-up exits with its threads ended", async () => {
    await using repo = await planned("true");
    const r = await run([bin, "run", "--workers", "2"], { cwd: repo.path });
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toStartWith("hyperion: E_PLAN_NOT_APPROVED");
    expect(readFileSync(join(repo.path, fileName(0)), "utf8")).toBe(edited(0, 5, 0));
  });

  test("a validated run ends the thread it started beyond its one worker", async () => {
    await using repo = await planned("true");
    expect((await run([bin, "plan", "approve"], { cwd: repo.path })).exitCode).toBe(0);
    const r = await run([bin, "run", "--workers", "2", "--format", "json"], { cwd: repo.path });
    expect(r.exitCode).toBe(0);
    expect(JSON.parse(r.stdout.trim().split("\n").at(-1)!)).toMatchObject({ applied: 2, workers: 1 });
  });
});
