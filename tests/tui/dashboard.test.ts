import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { createTestRenderer, type TestRendererSetup } from "@opentui/core/testing";
import { makeFileChange } from "../../lib/patch/index.ts";
import { createQueue, type Queue } from "../../lib/queue/index.ts";
import { submitChanges } from "../../lib/runtime/index.ts";
import { openRepo, readSecret, requestsSql } from "../../lib/store/index.ts";
import { type Dashboard, mountDashboard } from "../../lib/tui/index.ts";
import { hyperion, tmpdir } from "../_helpers.ts";
import { recordPlanned } from "../_planned.ts";
import { seedRepo } from "../ops/_seed.ts";

/**
 * The dashboard drawn by OpenTUI's test renderer (frames as text, no terminal) over the seeded
 * database of tests/ops/_seed.ts: c1 applied, c2 dead, c3 and c5 queued, c4 awaiting approval;
 * requests r1..r3. Keys go through the renderer's real input parser.
 */
let dir: Awaited<ReturnType<typeof tmpdir>>;
let repo: ReturnType<typeof openRepo>;
let queue: Queue;
let screen: TestRendererSetup | undefined;
let dash: Dashboard | undefined;

const PATCH =
  "--- /dev/null\n+++ b/src/new.ts\n@@ -0,0 +1,2 @@\n+export const a = 1;\n+export const b = 2;\n";

const start = async (width = 80, height = 24) => {
  screen = await createTestRenderer({ width, height });
  screen!.renderer.keyInput.on("keypress", () => seen++);
  dash = mountDashboard(screen!.renderer, {
    db: repo.db,
    queue,
    label: "seeded",
    actor: "ops",
    refreshMs: 1000,
  });
  return frame();
};
const frame = async () => {
  await screen!.renderOnce();
  return screen!.captureCharFrame();
};
let seen = 0;
/** Presses keys and waits (polling, with a deadline) until the dashboard received each one: a lone Esc is parsed after a pause. */
const keys = async (...ks: string[]) => {
  for (const k of ks) {
    const before = seen;
    if (k === "TAB") screen!.mockInput.pressTab();
    else if (k === "S-TAB") screen!.mockInput.pressTab({ shift: true });
    else if (k === "ENTER") screen!.mockInput.pressEnter();
    else if (k === "ESC") screen!.mockInput.pressEscape();
    else screen!.mockInput.pressKey(k);
    const deadline = Date.now() + 2000;
    while (seen === before && Date.now() < deadline) await Bun.sleep(2);
  }
  return frame();
};
/** Moves the change list's selection onto `id`. */
const selectChange = async (id: string) => {
  for (let i = 0; i < 10 && !(await frame()).includes(`${id} ·`); i++) await keys("j");
  expect(await frame()).toContain(`${id} ·`);
};

beforeEach(async () => {
  dir = await tmpdir();
  seedRepo(dir.path);
  repo = openRepo({ repo: dir.path });
  queue = createQueue(repo.db, { secret: readSecret(repo.loc), config: repo.config.queue });
});
afterEach(async () => {
  dash?.stop();
  await screen?.dispose();
  [dash, screen] = [undefined, undefined];
  repo[Symbol.dispose]();
  await dir[Symbol.asyncDispose]();
});

describe("panes", () => {
  test("the insights show depth by status, readiness and the oldest queued change", async () => {
    const f = await start();
    expect(f).toContain("Queue insights");
    expect(f).toMatch(/depth queued 2 leased 0 awaiting 1 dead 1 applied 1 · ready 2 · oldest \d+[smhd]/);
    expect(f).toContain("workers none");
  });

  test("the change list holds every change, newest first, with its status", async () => {
    const f = await start();
    expect(f).toContain("[Changes] Requests Logs Files (5)");
    const order = ["c5", "c4", "c3", "c2", "c1"].map((id) => f.indexOf(`│${id} `));
    expect(order.every((at) => at > 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(f).toMatch(/│c2 +dead +a2/);
  });

  test("Tab walks requests, worker logs and the file audit", async () => {
    await start();
    let f = await keys("TAB");
    expect(f).toContain("Changes [Requests] Logs Files (3)");
    expect(f).toMatch(/│r1 +partially_a/);
    expect(f).toMatch(/│r3 +needs_clari/);
    f = await keys("TAB");
    expect(f).toContain("[Logs]");
    expect(f).toMatch(/│\d\d:\d\d:\d\d info {2}c5 +enqueued/);
    expect(f).toContain("error c3     validation_fa");
    f = await keys("TAB");
    expect(f).toContain("[Files]");
    expect(f).toContain("src/a/one.ts");
    expect(f).toContain("docs/x.md");
    f = await keys("S-TAB", "S-TAB", "S-TAB");
    expect(f).toContain("[Changes]");
  });

  test("the larger terminal shows the same panes, wider", async () => {
    const f = await start(160, 48);
    expect(f).toMatch(/│c4 +awaiting_approval +a2 +0\/\d+ +change c4/);
  });
});

describe("filters", () => {
  test("/ filters the lists by text, Esc clears it", async () => {
    await start();
    let f = await keys("/", "c", "3", "ENTER");
    expect(f).toContain('"c3"');
    expect(f).toContain("(1)");
    expect(f).toMatch(/│c3 /);
    expect(f).not.toMatch(/│c5 /);
    f = await keys("/", "ESC");
    expect(f).toContain("(5)");
  });

  test("s cycles the status filter and g the agent filter", async () => {
    await start();
    let f = await keys("s");
    expect(f).toContain("status queued");
    expect(f).toContain("(2)");
    expect(f).toMatch(/│c5 /);
    expect(f).toMatch(/│c3 /);
    expect(f).not.toMatch(/│c4 /);
    f = await keys("g");
    expect(f).toContain("agent a1");
    f = await keys("g");
    expect(f).toContain("agent a2");
    expect(f).toContain("nothing matches the filters");
  });

  test("+ and - change the refresh rate shown in the header", async () => {
    await start();
    expect(await frame()).toContain("refresh 1s");
    expect(await keys("+")).toContain("refresh 0.5s");
    expect(dash!.refreshMs()).toBe(500);
    expect(await keys("-", "-")).toContain("refresh 2s");
  });
});

describe("detail", () => {
  test("a dead change shows its attempts, last error and what it waits for", async () => {
    await start(160, 48);
    await selectChange("c2");
    const f = await frame();
    expect(f).toContain("c2 · dead");
    expect(f).toContain("attempts 1");
    expect(f).toContain("dead: E_PATH_OUTSIDE_REPO");
    expect(f).toContain("press R to retry");
    // The same next step `hyperion run` prints for a dead letter it leaves behind.
    expect(f).toContain("from a shell: see `hyperion dead-letters`, then `hyperion retry c2`");
  });

  test("a held change says why it is held and what it waits for, with its diff", async () => {
    // Submitted the way agents' changes are: scored by the risk policy, held for a person.
    writeFileSync(join(dir.path, "package.json"), "{}\n");
    submitChanges(repo, queue, [
      {
        id: "c8",
        task_id: "t-c8",
        agent: "a1",
        changes: [makeFileChange("package.json", "{}\n", '{"x":1}\n')],
      },
    ]);
    const f = await start(120, 40);
    expect(f).toContain("c8 · awaiting_approval");
    expect(f).toContain("why held: package manifest and scripts: package.json (+10)");
    expect(f).toContain("waits for: a person: press a to approve or r to reject");
    expect(f).toContain("+++ b/package.json");
    expect(f).toContain("-{}");
    expect(f).toContain('+{"x":1}');
  });

  test("a change's validation commands show with their exit code and last output lines", async () => {
    // What the applier logs after running the plan's commands (lib/runtime/applier.ts).
    queue.log("c3", "validation", {
      ok: false,
      results: [
        {
          command: "bun test",
          argv: ["bun", "test"],
          exit_code: 1,
          signal: null,
          timed_out: false,
          duration_ms: 120,
          stdout: "1 pass\n1 fail",
          stderr: "expected 2, got 3",
          truncated: false,
        },
      ],
    });
    await start(120, 40);
    await selectChange("c3");
    const f = await frame();
    expect(f).toContain("bun test: exit 1 in 120 ms");
    expect(f).toContain("1 fail");
    expect(f).toContain("expected 2, got 3");
  });

  test("a created file's patch shows as a diff", async () => {
    queue.enqueue({
      id: "c6",
      task_id: "t-c6",
      agent: "a1",
      summary: "adds new.ts",
      changes: [{ path: "src/new.ts", operation: "create", patch: PATCH }],
    });
    const f = await start(120, 40);
    expect(f).toContain("c6 · queued");
    expect(f).toContain("@@ -0,0 +1,2 @@");
    expect(f).toContain("+export const a = 1;");
  });

  test("a request shows Engineer → Orchestrator → Developers, and follows a request filed elsewhere", async () => {
    await start();
    let f = await keys("TAB", "j");
    expect(f).toContain("Engineer");
    expect(f).toContain("Orchestrator 1 task planned");
    expect(f).toMatch(/t-c3 stub → c3 queued/);
    // Another process (`hyperion request`) records a request and its tasks through its own connection.
    using other = openRepo({ repo: dir.path });
    recordPlanned(other.db, { id: "r9", title: "request r9" }, [{ id: "t-r9", owned: ["src/r9.ts"] }]);
    dash!.refresh(false);
    f = await keys("k", "k");
    expect(f).toContain("(4)");
    expect(f).toContain("r9 · enqueued");
    expect(f).toContain("t-r9 stub no turn recorded");
    expect(f).toContain("owns src/r9.ts");
  });

  test("a request being planned elsewhere shows each agent's turn live, then lands as a request", async () => {
    await start(120, 40);
    // `hyperion request` in another process records each turn as it starts and ends.
    using other = openRepo({ repo: dir.path });
    const sql = requestsSql(other.db);
    const turn = (
      role: "engineer" | "orchestrator" | "developer",
      state: "running" | "done",
      task?: string,
    ) =>
      sql.recordTurn({
        request_id: "r-live",
        role,
        task_id: task ?? null,
        agent: "copilot",
        state,
        detail: task ? { owned_paths: [`src/${task}.ts`] } : { title: "Live one" },
        ts: Date.now(),
      });
    turn("engineer", "running");
    dash!.refresh(false);
    let f = await keys("TAB");
    expect(f).toContain("r-live");
    expect(f).toContain("planning");
    f = await keys("ENTER");
    expect(f).toContain("r-live · planning · Live one");
    expect(f).toContain("Engineer     copilot: turn running");
    turn("engineer", "done");
    turn("orchestrator", "running");
    turn("orchestrator", "done");
    turn("developer", "running", "t1");
    turn("developer", "running", "t2");
    turn("developer", "done", "t1");
    dash!.refresh(false);
    f = await frame();
    expect(f).toContain("Engineer     copilot: done");
    expect(f).toContain("Orchestrator copilot: done");
    expect(f).toContain("t1 copilot: done");
    expect(f).toContain("t2 copilot: turn running");
    expect(f).toContain("owns src/t2.ts");
  });

  test("Enter focuses the detail pane and j scrolls it", async () => {
    queue.enqueue({
      id: "c7",
      task_id: "t-c7",
      agent: "a1",
      summary: "long",
      changes: [
        {
          path: "src/long.ts",
          operation: "create",
          patch: `--- /dev/null\n+++ b/src/long.ts\n@@ -0,0 +1,40 @@\n${Array.from({ length: 40 }, (_, i) => `+line ${i}`).join("\n")}\n`,
        },
      ],
    });
    await start();
    let f = await keys("ENTER");
    expect(f).toContain("c7 · queued");
    f = await keys(...Array.from({ length: 60 }, () => "j"));
    expect(f).not.toContain("c7 · queued");
    expect(f).toContain("+line 39");
    f = await keys("ESC", "j");
    expect(f).toContain("c5 · queued");
  });
});

describe("polling", () => {
  test("a poll that cannot read a row says so on the footer and keeps the dashboard up", async () => {
    await start();
    using other = openRepo({ repo: dir.path });
    other.db.run("UPDATE change_queue SET risk = 'extreme' WHERE id = 'c5'");
    dash!.refresh(false);
    const f = await frame();
    expect(f.split("\n").at(-2)).toStartWith("E_DB_ROW: change_queue row 5: risk");
    expect(screen!.renderer.isDestroyed).toBe(false);
    other.db.run("UPDATE change_queue SET risk = 'low' WHERE id = 'c5'");
    dash!.refresh(false);
    expect(await keys("j")).toContain("c4 · awaiting_approval");
  });
});

describe("mouse", () => {
  test("a click selects a row; the wheel moves the selection", async () => {
    await start();
    // Row 7 is the list's first row (header, five rows of insights, the list's border).
    await screen!.mockMouse.click(4, 7 + 3);
    expect(await frame()).toContain("c2 · dead");
    await screen!.mockMouse.scroll(4, 8, "up");
    expect(await frame()).toContain("c5 · queued");
    await screen!.mockMouse.scroll(4, 8, "down");
    expect(await frame()).toContain("c2 · dead");
  });
});

describe("help", () => {
  test("? explains every control and the metrics' ranges; any key closes it", async () => {
    await start();
    let f = await keys("?");
    for (const k of ["Tab Shift-Tab", "Enter / Esc", "PgUp PgDn", "+ -", "q Ctrl-C"]) expect(f).toContain(k);
    for (const m of ["apply p50/p95", "dequeue p50/p95", "oldest", "workers"]) expect(f).toContain(m);
    f = await keys("x");
    expect(f).not.toContain("Help (any key closes)");
    expect(f).toContain("Queue insights");
  });
});

describe("actions", () => {
  test("a then y approves the held change in the database, with who approved", async () => {
    await start();
    await selectChange("c4");
    let f = await keys("a");
    expect(f).toContain("approve c4? y");
    expect(queue.get("c4")!.status).toBe("awaiting_approval");
    f = await keys("y");
    expect(f).toContain("c4 approved: queued");
    expect(queue.get("c4")!.status).toBe("queued");
    const row = repo.db.query("SELECT decision, actor FROM approvals WHERE change_id = 'c4'").get();
    expect(row).toEqual({ decision: "approved", actor: "ops" });
  });

  test("r then any key but y leaves the change held; r then y rejects it", async () => {
    await start();
    await selectChange("c4");
    let f = await keys("r", "n");
    expect(f).toContain("reject c4: cancelled");
    expect(queue.get("c4")!.status).toBe("awaiting_approval");
    f = await keys("r", "y");
    expect(f).toContain("c4 rejected: rejected");
    expect(queue.get("c4")!.status).toBe("rejected");
  });

  test("R then y retries a dead letter", async () => {
    await start();
    await selectChange("c2");
    const f = await keys("R", "y");
    expect(f).toContain("c2 retried: queued");
    expect(queue.get("c2")!.status).toBe("queued");
  });

  test("approving a change that is not held says why and changes nothing", async () => {
    await start();
    const f = await keys("a");
    expect(f).toContain("c5 is queued: only a change awaiting approval can be approved");
    expect(queue.get("c5")!.status).toBe("queued");
  });

  test("a change decided elsewhere meanwhile gives its error line, not a crash", async () => {
    await start();
    await selectChange("c4");
    await keys("a");
    queue.approve("c4", "someone-else");
    const f = await keys("y");
    expect(f).toContain("E_BAD_STATUS");
    expect(screen!.renderer.isDestroyed).toBe(false);
  });

  test("q destroys the renderer (the command then returns)", async () => {
    await start();
    screen!.mockInput.pressKey("q");
    expect(screen!.renderer.isDestroyed).toBe(true);
  });
});

describe("hyperion tui", () => {
  test("refuses with one line when stdout is not a terminal", async () => {
    const r = await hyperion(["tui", "--repo", dir.path]);
    expect(r.exitCode).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toContain("E_NOT_A_TTY: hyperion tui needs a terminal, but its stdout is not one");
  });

  test("refuses a refresh rate outside the steps it offers", async () => {
    const r = await hyperion(["tui", "--repo", dir.path, "--refresh", "0.01"]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain("E_LIMIT: --refresh '0.01' is outside 0.25 to 10 seconds");
  });
});
