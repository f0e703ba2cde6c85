import { Database } from "bun:sqlite";
import { describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { hyperion, tmpdir } from "../_helpers.ts";
import { hyperionOnTty } from "../cmd/_pty.ts";
import { copyTestapp, expectedTree, readTree, TESTAPP } from "./_tree.ts";

/** A fresh copy of testapp with .hyperion/ and, when asked, its WORKPLAN.md approved. */
const repoCopy = async (approve = false) => {
  const dir = await tmpdir("hyperion-request-");
  copyTestapp(dir.path);
  expect((await hyperion(["init", "--repo", dir.path])).exitCode).toBe(0);
  if (approve) expect((await hyperion(["plan", "approve", "--repo", dir.path])).exitCode).toBe(0);
  return dir;
};

/** Row counts read straight from the database file. */
const counts = (repo: string) => {
  const db = new Database(join(repo, ".hyperion/hyperion.db"), { readonly: true });
  try {
    const n = (table: string) => (db.query(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
    return { requests: n("task_requests"), tasks: n("tasks"), changes: n("change_queue") };
  } finally {
    db.close();
  }
};

const oneLine = (stderr: string, code: string) => {
  const lines = stderr.trim().split("\n");
  expect(lines).toHaveLength(1);
  expect(lines[0]).toStartWith(`hyperion: ${code}: `);
  expect(stderr).not.toContain("    at ");
  return lines[0]!;
};

describe("hyperion request + run, each testapp request end to end", () => {
  test.each([
    ["001", 1],
    ["002", 3],
    ["003", 4],
  ])(
    "request %s plans %i task(s), enqueues, applies under validation and leaves the expected tree",
    async (n, tasks) => {
      await using repo = await repoCopy(true);
      const r = await hyperion([
        "request",
        join(TESTAPP, `orchestrate-request-${n}.json`),
        "--repo",
        repo.path,
        "--format",
        "json",
      ]);
      expect(r.stderr).toBe("");
      expect(r.exitCode).toBe(0);
      const out = JSON.parse(r.stdout);
      expect(out).toMatchObject({ status: "enqueued", agent: "stub", fallback: false, dry_run: false });
      expect(out.tasks).toHaveLength(tasks);
      expect(out.change_requests).toHaveLength(tasks);
      const owned = out.tasks.flatMap((t: { owned_paths: string[] }) => t.owned_paths);
      expect(new Set(owned).size).toBe(owned.length);
      for (const c of out.change_requests) expect(c.status).toBe("queued");

      const ran = await hyperion(["run", "--until-empty", "--repo", repo.path]);
      expect(ran.exitCode).toBe(0);
      expect(readTree(repo.path)).toEqual(expectedTree(n));

      // The record: every change applied, linked to its task; every file written is in the audit.
      const db = new Database(join(repo.path, ".hyperion/hyperion.db"), { readonly: true });
      try {
        const rows = db
          .query(
            "SELECT t.id, t.change_id, c.status FROM tasks t JOIN change_queue c ON c.id = t.change_id WHERE t.request_id = ?",
          )
          .all(out.request_id) as { status: string }[];
        expect(rows.map((x) => x.status)).toEqual(Array(tasks).fill("applied"));
        // Each change's writes are in the audit, and only paths the change touches.
        const audit = db.query("SELECT path FROM file_modifications WHERE change_id = ?");
        for (const c of out.change_requests) {
          const written = (audit.all(c.id) as { path: string }[]).map((x) => x.path);
          expect(written.length).toBeGreaterThan(0);
          for (const p of written) expect(c.paths).toContain(p);
        }
        const events = db.query("SELECT DISTINCT event FROM change_queue_logs").all() as { event: string }[];
        expect(events.map((e) => e.event)).toContain("enqueued");
      } finally {
        db.close();
      }
    },
  );

  test("- reads the request from standard input (and --no-fallback is accepted)", async () => {
    await using repo = await repoCopy();
    const text = await Bun.file(join(TESTAPP, "orchestrate-request-001.json")).text();
    const r = await hyperion(["request", "-", "--repo", repo.path, "--no-fallback"], { stdin: text });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/^request r-\S+: enqueued \(feature, risk low\), agent stub\n/);
    expect(counts(repo.path)).toEqual({ requests: 1, tasks: 1, changes: 1 });
  });

  test("each agent turn is recorded as it starts and ends, for the dashboard to follow", async () => {
    await using repo = await repoCopy();
    const r = await hyperion([
      "request",
      join(TESTAPP, "orchestrate-request-002.json"),
      "--repo",
      repo.path,
      "--format",
      "json",
    ]);
    expect(r.exitCode).toBe(0);
    const out = JSON.parse(r.stdout) as { request_id: string; tasks: { id: string }[] };
    using db = new Database(join(repo.path, ".hyperion/hyperion.db"), { readonly: true });
    const turns = db
      .query<{ role: string; task_id: string | null; state: string }, [string]>(
        "SELECT role, task_id, state FROM agent_turns WHERE request_id = ? ORDER BY id",
      )
      .all(out.request_id)
      .map((t) => `${t.role}${t.task_id ? ` ${t.task_id}` : ""} ${t.state}`);
    expect(turns.slice(0, 4)).toEqual([
      "engineer running",
      "engineer done",
      "orchestrator running",
      "orchestrator done",
    ]);
    for (const t of out.tasks) {
      const running = turns.indexOf(`developer ${t.id} running`);
      expect(running).toBeGreaterThan(3);
      expect(turns.indexOf(`developer ${t.id} done`)).toBeGreaterThan(running);
    }
    expect(turns).toHaveLength(4 + 2 * out.tasks.length);
  });

  test("- on a terminal is refused at once rather than waited on", async () => {
    await using repo = await repoCopy();
    const r = await hyperionOnTty(["request", "-", "--repo", repo.path], {
      prompt: "\u0000never",
      answer: "",
    });
    expect(r.prompted).toBe(false);
    expect(r.exitCode).toBe(2);
    expect(r.screen).toContain("hyperion: E_INPUT: standard input is a terminal");
    expect(counts(repo.path)).toEqual({ requests: 0, tasks: 0, changes: 0 });
  });

  test("--dry-run prints the plan and writes nothing", async () => {
    await using repo = await repoCopy();
    const r = await hyperion([
      "request",
      join(TESTAPP, "orchestrate-request-002.json"),
      "--repo",
      repo.path,
      "--dry-run",
      "--format",
      "json",
    ]);
    expect(r.exitCode).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ status: "planned", dry_run: true });
    expect(out.change_requests.map((c: { id: null }) => c.id)).toEqual([null, null, null]);
    expect(counts(repo.path)).toEqual({ requests: 0, tasks: 0, changes: 0 });
  });
});

describe("hyperion request: bad input exits 2 with one line and enqueues nothing", () => {
  const cases: [string, string, string, string][] = [
    ["malformed JSON", '{\n  "title": "x",\n  "edits": [,]\n}', "E_JSON", ":3:13: "],
    [
      "a schema violation",
      '{"title": "x", "edits": [{"op": "modify", "path": "src/greet.ts"}]}',
      "E_SCHEMA",
      "edits[0]",
    ],
    ["a missing title", '{"edits": []}', "E_SCHEMA", ": title: "],
    ["an unknown field", '{"title": "x", "files": []}', "E_SCHEMA", "files"],
    ["an unknown kind", '{"title": "x", "kind": "epic"}', "E_SCHEMA", ": kind: "],
    [
      "an edit outside the repository",
      '{"title": "x", "edits": [{"op": "create", "path": "../escape.ts", "content": "x"}]}',
      "E_PATH_OUTSIDE_REPO",
      "edits[0].path: ",
    ],
    [
      "an absolute edit path",
      '{"title": "x", "edits": [{"op": "delete", "path": "/etc/passwd"}]}',
      "E_PATH_OUTSIDE_REPO",
      "edits[0].path: ",
    ],
    [
      "an edit of Hyperion's own state",
      '{"title": "x", "edits": [{"op": "modify", "path": ".hyperion/config.json", "content": "{}"}]}',
      "E_PATH_FORBIDDEN",
      "edits[0].path: ",
    ],
    [
      "a rename out of the repository",
      '{"title": "x", "edits": [{"op": "rename", "path": "src/greet.ts", "new_path": "../greet.ts"}]}',
      "E_PATH_OUTSIDE_REPO",
      "edits[0].new_path: ",
    ],
    [
      "a modify of a missing file",
      '{"title": "x", "edits": [{"op": "modify", "path": "src/nope.ts", "content": ""}]}',
      "E_EDIT_MISSING",
      "edits[0]: ",
    ],
    [
      "a find text that is not there",
      '{"title": "x", "edits": [{"op": "modify", "path": "src/greet.ts", "replace": [{"find": "Howdy", "replace": "Hi"}]}]}',
      "E_EDIT_FIND",
      "edits[0].replace[0].find: ",
    ],
  ];
  test.each(cases)("%s", async (_name, json, code, where) => {
    await using repo = await repoCopy();
    const file = join(repo.path, "bad.json");
    writeFileSync(file, json);
    const r = await hyperion(["request", file, "--repo", repo.path]);
    expect(r.exitCode).toBe(2);
    expect(r.stdout).toBe("");
    expect(oneLine(r.stderr, code)).toContain(where);
    expect(counts(repo.path)).toEqual({ requests: 0, tasks: 0, changes: 0 });
  });

  test("a request id already used is refused and the first request stays as it was", async () => {
    await using repo = await repoCopy();
    const file = join(repo.path, "req.json");
    writeFileSync(
      file,
      JSON.stringify({
        id: "dup-1",
        title: "x",
        edits: [{ op: "create", path: "src/new.ts", content: "x\n" }],
      }),
    );
    expect((await hyperion(["request", file, "--repo", repo.path])).exitCode).toBe(0);
    const again = await hyperion(["request", file, "--repo", repo.path]);
    expect(again.exitCode).toBe(2);
    oneLine(again.stderr, "E_REQUEST_EXISTS");
    expect(counts(repo.path)).toEqual({ requests: 1, tasks: 1, changes: 1 });
  });

  test("an unknown agent, or a CLI agent not installed, is refused before anything runs", async () => {
    await using repo = await repoCopy();
    const r = await hyperion([
      "request",
      join(TESTAPP, "orchestrate-request-001.json"),
      "--repo",
      repo.path,
      "--agent",
      "hal",
    ]);
    expect(r.exitCode).toBe(2);
    oneLine(r.stderr, "E_AGENT_UNKNOWN");
    const env = await hyperion(
      ["request", join(TESTAPP, "orchestrate-request-001.json"), "--repo", repo.path],
      {
        // A PATH without copilot: the harness is refused when chosen, never replaced by the stub.
        env: { HYPERION_AGENT: "copilot", PATH: "/nonexistent" },
      },
    );
    expect(env.exitCode).toBe(1);
    oneLine(env.stderr, "E_AGENT_MISSING");
    expect(env.stderr).toContain("npm install -g @github/copilot");
    expect(counts(repo.path)).toEqual({ requests: 0, tasks: 0, changes: 0 });
  });
});

describe("hyperion request: policy from config, and concurrent filing", () => {
  test("orchestrator limits in .hyperion/config.json shape the plan", async () => {
    await using repo = await repoCopy();
    const config = join(repo.path, ".hyperion/config.json");
    const current = JSON.parse(await Bun.file(config).text());
    writeFileSync(config, JSON.stringify({ ...current, orchestrator: { max_files_per_task: 1 } }));
    const r = await hyperion([
      "request",
      join(TESTAPP, "orchestrate-request-002.json"),
      "--repo",
      repo.path,
      "--format",
      "json",
    ]);
    expect(r.exitCode).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.tasks.map((t: { owned_paths: string[] }) => t.owned_paths)).toEqual([
      ["src/math.ts"],
      ["tests/math.test.ts"],
      ["src/format.ts"],
      ["tests/format.test.ts"],
      ["src/report.ts"],
      ["tests/report.test.ts"],
    ]);
    expect(out.tasks[0].title).toEndWith("(1/2)");
  });

  test("an orchestrator section that contradicts itself is refused, naming the field", async () => {
    await using repo = await repoCopy();
    const config = join(repo.path, ".hyperion/config.json");
    const current = JSON.parse(await Bun.file(config).text());
    writeFileSync(
      config,
      JSON.stringify({ ...current, orchestrator: { context_window: 8000, max_tokens_per_task: 9000 } }),
    );
    const r = await hyperion(["request", join(TESTAPP, "orchestrate-request-001.json"), "--repo", repo.path]);
    expect(r.exitCode).toBe(2);
    expect(oneLine(r.stderr, "E_CONFIG")).toContain("orchestrator.max_tokens_per_task");
  });

  test("two processes filing one request id at once: exactly one wins", async () => {
    await using repo = await repoCopy();
    const file = join(repo.path, "req.json");
    writeFileSync(
      file,
      JSON.stringify({
        id: "race-1",
        title: "x",
        edits: [{ op: "create", path: "src/r.ts", content: "r\n" }],
      }),
    );
    const both = await Promise.all([1, 2].map(() => hyperion(["request", file, "--repo", repo.path])));
    expect(both.map((r) => r.exitCode).sort()).toEqual([0, 2]);
    oneLine(both.find((r) => r.exitCode === 2)!.stderr, "E_REQUEST_EXISTS");
    expect(counts(repo.path)).toEqual({ requests: 1, tasks: 1, changes: 1 });
  });
});

describe("needs_clarification and hyperion answer", () => {
  const write = (dir: string, name: string, value: unknown) => {
    const file = join(dir, name);
    writeFileSync(file, JSON.stringify(value));
    return file;
  };
  const outOfScope = {
    id: "ask-1",
    title: "Add a farewell",
    scope: { include: ["src/greet.ts"] },
    edits: [
      { op: "modify", path: "src/greet.ts", replace: [{ find: "Hello", replace: "Hi" }] },
      { op: "modify", path: "tests/greet.test.ts", replace: [{ find: "Hello", replace: "Hi" }] },
    ],
  };

  test("open questions exit 3 and wait; answers proceed to the queue and the tree", async () => {
    await using repo = await repoCopy(true);
    const r = await hyperion(["request", write(repo.path, "r.json", outOfScope), "--repo", repo.path]);
    expect(r.exitCode).toBe(3);
    expect(r.stdout).toContain("request ask-1: needs_clarification");
    expect(r.stdout).toContain(
      "  1. Edit 2 (modify tests/greet.test.ts) is outside the scope (src/greet.ts): change it anyway?",
    );
    expect(r.stdout).toContain(`hyperion answer ask-1 --file answers.json --repo ${repo.path}`);
    expect(counts(repo.path)).toEqual({ requests: 1, tasks: 0, changes: 0 });

    const unknown = await hyperion([
      "answer",
      "ask-1",
      "--file",
      write(repo.path, "a0.json", { answers: { "7": "yes" } }),
      "--repo",
      repo.path,
    ]);
    expect(unknown.exitCode).toBe(2);
    oneLine(unknown.stderr, "E_ANSWER_UNKNOWN");

    const a = await hyperion([
      "answer",
      "ask-1",
      "--file",
      write(repo.path, "a.json", { answers: { "1": "yes, keep the test in step" } }),
      "--repo",
      repo.path,
      "--format",
      "json",
    ]);
    expect(a.exitCode).toBe(0);
    const out = JSON.parse(a.stdout);
    expect(out).toMatchObject({ request_id: "ask-1", status: "enqueued", questions: [] });
    expect(out.assumptions[0]).toEndWith("-> yes, keep the test in step");
    expect(out.tasks[0].owned_paths).toEqual(["src/greet.ts", "tests/greet.test.ts"]);

    expect((await hyperion(["run", "--until-empty", "--repo", repo.path])).exitCode).toBe(0);
    const tree = readTree(repo.path);
    expect(tree["src/greet.ts"]).toMatch(/`Hi, \$\{name\}!`/);
    expect(tree["tests/greet.test.ts"]).toContain('toBe("Hi, Ada!")');

    const again = await hyperion(["answer", "ask-1", "--yes", "--repo", repo.path]);
    expect(again.exitCode).toBe(2);
    oneLine(again.stderr, "E_REQUEST_STATE");
  });

  test("answering no leaves the edit out; --yes proceeds on the stated assumptions", async () => {
    await using repo = await repoCopy();
    await hyperion(["request", write(repo.path, "r.json", outOfScope), "--repo", repo.path]);
    const no = await hyperion([
      "answer",
      "ask-1",
      "--file",
      write(repo.path, "a.json", { answers: { "1": "no" } }),
      "--repo",
      repo.path,
      "--format",
      "json",
    ]);
    expect(no.exitCode).toBe(0);
    const out = JSON.parse(no.stdout);
    expect(out.tasks.map((t: { owned_paths: string[] }) => t.owned_paths)).toEqual([["src/greet.ts"]]);
    expect(out.assumptions).toContain("Left out of scope: edit 2 (modify tests/greet.test.ts)");

    await hyperion([
      "request",
      write(repo.path, "r2.json", { ...outOfScope, id: "ask-2" }),
      "--repo",
      repo.path,
    ]);
    const yes = await hyperion(["answer", "ask-2", "--yes", "--repo", repo.path, "--format", "json"]);
    expect(yes.exitCode).toBe(0);
    expect(JSON.parse(yes.stdout).assumptions[0]).toStartWith("Assumed yes: Edit 2");
  });

  test("a request with nothing to do asks; answers may bring the edits", async () => {
    await using repo = await repoCopy();
    const r = await hyperion([
      "request",
      write(repo.path, "r.json", { id: "vague", title: "Make greetings warmer" }),
      "--repo",
      repo.path,
      "--format",
      "json",
    ]);
    expect(r.exitCode).toBe(3);
    expect(JSON.parse(r.stdout)).toMatchObject({
      status: "needs_clarification",
      questions: [expect.stringContaining("no edits")],
    });
    const a = await hyperion([
      "answer",
      "vague",
      "--file",
      write(repo.path, "a.json", {
        edits: [{ op: "modify", path: "src/greet.ts", replace: [{ find: "Hello", replace: "Warm hello" }] }],
      }),
      "--repo",
      repo.path,
      "--format",
      "json",
    ]);
    expect(a.exitCode).toBe(0);
    expect(JSON.parse(a.stdout)).toMatchObject({
      status: "enqueued",
      tasks: [{ owned_paths: ["src/greet.ts"] }],
    });
    expect(counts(repo.path)).toEqual({ requests: 1, tasks: 1, changes: 1 });
  });

  test("answer needs --file or --yes, and a known request", async () => {
    await using repo = await repoCopy();
    oneLine((await hyperion(["answer", "nope", "--repo", repo.path])).stderr, "E_USAGE");
    const missing = await hyperion(["answer", "nope", "--yes", "--repo", repo.path]);
    expect(missing.exitCode).toBe(2);
    oneLine(missing.stderr, "E_REQUEST_NOT_FOUND");
  });
});
