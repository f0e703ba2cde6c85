import { Database } from "bun:sqlite";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { z } from "zod";
import { recordSchemas } from "../../lib/ops/index.ts";
import { hyperion, tmpdir } from "../_helpers.ts";
import { seedRepo } from "../ops/_seed.ts";
import { hyperionOnTty } from "./_pty.ts";

const H = 3_600_000;
let dir: Awaited<ReturnType<typeof tmpdir>>;
let repo: string;
let now: number;

beforeAll(async () => {
  dir = await tmpdir("hyperion-listings-");
  repo = dir.path;
  now = seedRepo(repo).now;
});
afterAll(async () => {
  await dir[Symbol.asyncDispose]();
});

/** Runs a listing with --format json; the whole of stdout must be JSON matching the record schema. */
const json = async <K extends keyof typeof recordSchemas>(
  command: K,
  args: string[] = [],
): Promise<z.infer<(typeof recordSchemas)[K]>[]> => {
  const r = await hyperion([command, "--repo", repo, "--format", "json", ...args]);
  expect(r.stderr).toBe("");
  expect(r.exitCode).toBe(0);
  const rows = JSON.parse(r.stdout) as unknown[];
  expect(Array.isArray(rows)).toBe(true);
  return rows.map((row) => recordSchemas[command].parse(row)) as z.infer<(typeof recordSchemas)[K]>[];
};

const iso = (offset: number) => new Date(now - offset).toISOString();

describe("hyperion list", () => {
  test("lists every change, newest first, as schema-valid records", async () => {
    const rows = await json("list");
    expect(rows.map((r) => r.id)).toEqual(["c5", "c4", "c3", "c2", "c1"]);
    const c1 = rows.find((r) => r.id === "c1")!;
    expect(c1).toMatchObject({ status: "applied", agent: "a1", request_id: "r1", attempts: 1 });
    expect(c1.finished_at).toBe(iso(9 * H));
    expect(c1.enqueued_at).toBe(iso(10 * H));
    expect(rows.find((r) => r.id === "c5")!.request_id).toBeNull();
  });

  test("--status, --agent, --request and their combination select exactly the matching changes", async () => {
    expect((await json("list", ["--status", "queued"])).map((r) => r.id)).toEqual(["c5", "c3"]);
    expect((await json("list", ["--status", "awaiting_approval"])).map((r) => r.id)).toEqual(["c4"]);
    expect((await json("list", ["--agent", "a2"])).map((r) => r.id)).toEqual(["c4", "c2"]);
    expect((await json("list", ["--request", "r2"])).map((r) => r.id)).toEqual(["c4", "c3"]);
    expect(
      (await json("list", ["--agent", "a1", "--status", "queued", "--request", "r2"])).map((r) => r.id),
    ).toEqual(["c3"]);
    expect(await json("list", ["--agent", "nobody"])).toEqual([]);
  });

  test("--since takes a duration or an ISO-8601 time; --limit keeps the newest", async () => {
    expect((await json("list", ["--since", "2h"])).map((r) => r.id)).toEqual(["c5", "c4"]);
    expect((await json("list", ["--since", iso(7.5 * H)])).map((r) => r.id)).toEqual([
      "c5",
      "c4",
      "c3",
      "c2",
    ]);
    expect((await json("list", ["--limit", "2"])).map((r) => r.id)).toEqual(["c5", "c4"]);
    expect(
      (await json("list", ["--since", "1d", "--limit", "1", "--status", "dead"])).map((r) => r.id),
    ).toEqual(["c2"]);
  });

  test("the table is aligned and has no colour when stdout is not a terminal", async () => {
    const r = await hyperion(["list", "--repo", repo]);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).not.toContain("\x1b[");
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines).toHaveLength(6);
    const col = lines[0]!.indexOf("STATUS");
    expect(col).toBeGreaterThan(0);
    for (const l of lines.slice(1))
      expect(l.slice(col).split(" ")[0]).toMatch(/^(queued|awaiting_approval|dead|applied)$/);
  });
});

describe("hyperion list on a terminal", () => {
  test("colours the status column, keeping the same columns", async () => {
    const tty = await hyperionOnTty(["list", "--repo", repo]);
    expect(tty.exitCode).toBe(0);
    expect(tty.raw).toContain("\x1b[32mapplied");
    expect(tty.raw).toContain("\x1b[31mdead");
    const plain = await hyperion(["list", "--repo", repo]);
    expect(tty.screen.replaceAll("\r\n", "\n")).toContain(plain.stdout.trimEnd());
  });
});

describe("hyperion dead-letters", () => {
  test("lists dead letters with their change's agent and request", async () => {
    const rows = await json("dead-letters");
    expect(rows).toEqual([
      {
        change_id: "c2",
        reason_code: "E_PATH_OUTSIDE_REPO",
        message: "path escapes the repository",
        last_error: expect.any(String),
        attempts: 1,
        dead_at: iso(7 * H),
        task_id: "t-c2",
        request_id: "r1",
        agent: "a2",
        summary: "change c2",
      },
    ]);
  });

  test("filters by --agent, --request and --since", async () => {
    expect(await json("dead-letters", ["--agent", "a1"])).toEqual([]);
    expect((await json("dead-letters", ["--request", "r1"])).map((r) => r.change_id)).toEqual(["c2"]);
    expect(await json("dead-letters", ["--since", "6h"])).toEqual([]);
    expect((await json("dead-letters", ["--since", "8h"])).map((r) => r.change_id)).toEqual(["c2"]);
  });
});

describe("hyperion history", () => {
  test("lists task requests newest first with counts of tasks and changes by status", async () => {
    const rows = await json("history");
    expect(rows.map((r) => r.id)).toEqual(["r3", "r2", "r1"]);
    expect(rows[2]!.counts).toEqual({
      tasks: 2,
      changes: 2,
      queued: 0,
      leased: 0,
      applied: 1,
      dead: 1,
      awaiting_approval: 0,
      rejected: 0,
      rolled_back: 0,
    });
    expect(rows[1]!.counts).toMatchObject({ tasks: 1, changes: 2, queued: 1, awaiting_approval: 1 });
    expect(rows[0]).toMatchObject({ status: "needs_clarification", created_at: iso(H / 3) });
  });

  test("filters by --status, --agent, --request, --since and --limit", async () => {
    expect((await json("history", ["--status", "needs_clarification"])).map((r) => r.id)).toEqual(["r3"]);
    expect((await json("history", ["--request", "r1"])).map((r) => r.id)).toEqual(["r1"]);
    expect((await json("history", ["--agent", "copilot"])).map((r) => r.id)).toEqual(["r2"]);
    expect((await json("history", ["--agent", "stub"])).map((r) => r.id)).toEqual(["r3", "r1"]);
    expect((await json("history", ["--since", "8h"])).map((r) => r.id)).toEqual(["r3", "r2"]);
    expect((await json("history", ["--limit", "1"])).map((r) => r.id)).toEqual(["r3"]);
  });
});

describe("hyperion logs", () => {
  test("--change shows that change's events, oldest first, with data parsed", async () => {
    const rows = await json("logs", ["--change", "c2"]);
    expect(rows.map((r) => r.event)).toEqual(["enqueued", "dead"]);
    expect(rows.every((r) => r.change_id === "c2")).toBe(true);
    expect(rows[1]!.data).toMatchObject({ reason_code: "E_PATH_OUTSIDE_REPO" });
  });

  test("--level keeps that level and more severe ones", async () => {
    const errors = await json("logs", ["--level", "error"]);
    expect(errors.map((r) => [r.change_id, r.event])).toEqual([
      ["c2", "dead"],
      ["c3", "validation_failed"],
    ]);
    const all = await json("logs", ["--level", "debug", "--limit", "1000"]);
    const info = await json("logs", ["--level", "info", "--limit", "1000"]);
    expect(all.length - info.length).toBe(1);
    expect(info.some((r) => r.level === "debug")).toBe(false);
  });

  test("--since and --limit keep the newest events, in time order", async () => {
    const recent = await json("logs", ["--since", "4h"]);
    expect(recent.map((r) => r.event)).toEqual(["probe", "enqueued", "enqueued"]);
    const last2 = await json("logs", ["--limit", "2"]);
    expect(last2.map((r) => r.change_id)).toEqual(["c4", "c5"]);
  });
});

describe("hyperion file-mods", () => {
  test("lists file modifications newest first", async () => {
    const rows = await json("file-mods");
    expect(rows.map((r) => r.path)).toEqual(["docs/x.md", "src/a/two.ts", "src/a/one.ts"]);
    expect(rows[0]).toMatchObject({ source: "external", change_id: null, kind: "modify", ts: iso(2 * H) });
  });

  test("filters by --change, --path (a file or a directory/), --agent, --request, --since", async () => {
    expect((await json("file-mods", ["--change", "c1"])).map((r) => r.path)).toEqual([
      "src/a/two.ts",
      "src/a/one.ts",
    ]);
    expect((await json("file-mods", ["--path", "src/a/one.ts"])).map((r) => r.id)).toHaveLength(1);
    // By file key, as the line compares paths: another spelling of the file or directory finds it.
    expect((await json("file-mods", ["--path", "SRC/A/One.ts"])).map((r) => r.path)).toEqual([
      "src/a/one.ts",
    ]);
    expect((await json("file-mods", ["--path", "Src/A/"])).map((r) => r.path)).toEqual([
      "src/a/two.ts",
      "src/a/one.ts",
    ]);
    expect((await json("file-mods", ["--path", "src/a/"])).map((r) => r.path)).toEqual([
      "src/a/two.ts",
      "src/a/one.ts",
    ]);
    expect(await json("file-mods", ["--path", "src/"])).toHaveLength(2);
    expect(await json("file-mods", ["--path", "src/a"])).toEqual([]);
    expect((await json("file-mods", ["--agent", "a1"])).map((r) => r.change_id)).toEqual(["c1", "c1"]);
    expect(await json("file-mods", ["--agent", "a2"])).toEqual([]);
    expect(await json("file-mods", ["--request", "r1"])).toHaveLength(2);
    expect((await json("file-mods", ["--since", "3h"])).map((r) => r.path)).toEqual(["docs/x.md"]);
  });
});

describe("listings refuse bad input", () => {
  const cases: [string[], string][] = [
    [["list", "--since", "yesterday"], "E_SINCE"],
    [["list", "--since", "2026-13-45"], "E_SINCE"],
    [["list", "--status", "done"], "E_FILTER"],
    [["list", "--limit", "0"], "E_LIMIT"],
    [["dead-letters", "--limit", "ten"], "E_LIMIT"],
    [["history", "--status", "queued"], "E_FILTER"],
    [["logs", "--level", "loud"], "E_FILTER"],
    [["file-mods", "--agent", ""], "E_FILTER"],
    [["list", "--format", "xml"], "E_USAGE"],
  ];
  for (const [argv, code] of cases) {
    test(`${argv.join(" ")} exits 2 with ${code} on one line and writes nothing`, async () => {
      await using empty = await tmpdir();
      const r = await hyperion([...argv, "--repo", empty.path]);
      expect(r.exitCode).toBe(2);
      expect(r.stdout).toBe("");
      const lines = r.stderr.trim().split("\n");
      expect(lines).toHaveLength(1);
      expect(lines[0]).toStartWith(`hyperion: ${code}: `);
      expect(existsSync(join(empty.path, ".hyperion"))).toBe(false);
    });
  }

  test("a repository without .hyperion exits 2 naming `hyperion init`", async () => {
    await using empty = await tmpdir();
    const r = await hyperion(["list", "--repo", empty.path]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain("E_NOT_INITIALIZED");
    expect(existsSync(join(empty.path, ".hyperion"))).toBe(false);
  });

  test("a row edited on disk into another shape is named on one line, exit 1", async () => {
    await using edited = await tmpdir();
    seedRepo(edited.path);
    const db = new Database(join(edited.path, ".hyperion", "hyperion.db"));
    db.run("UPDATE change_queue SET attempts = 'many' WHERE id = 'c1'");
    db.close();
    const r = await hyperion(["list", "--repo", edited.path, "--format", "json"]);
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toStartWith("hyperion: E_DB_ROW: change_queue row 1: attempts: ");
  });
});
