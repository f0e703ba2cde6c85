import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  type AgentHarness,
  createStubHarness,
  fileRequest,
  planRequest,
  recordPlan,
} from "../../lib/agents/index.ts";
import { HyperionError } from "../../lib/errors.ts";
import { createQueue } from "../../lib/queue/index.ts";
import { TaskRequest } from "../../lib/schema/index.ts";
import { readSecret, requestsSql } from "../../lib/store/index.ts";
import { hyperion, ROOT } from "../_helpers.ts";
import { contextFor, enqueueInto, repoFixture } from "./_repo.ts";

const testappRequest = (n: number, id: string) =>
  fileRequest({
    ...TaskRequest.parse(
      JSON.parse(readFileSync(join(ROOT, `testapp/orchestrate-request-00${n}.json`), "utf8")),
    ),
    id,
  });

const stub = createStubHarness();
/** An agent whose every answer is garbage: each turn must fall back. */
const garbage: AgentHarness = { name: "garbage", turn: async () => ({ text: "Done! I changed the files." }) };
/** An agent that plans well but whose developer writes a file its task does not own. */
const rogue: AgentHarness = {
  name: "rogue",
  turn: async (req) => {
    if (req.role !== "developer") return stub.turn(req);
    return {
      text: JSON.stringify({ summary: "x", files: [{ op: "write", path: "src/evil.ts", content: "x" }] }),
    };
  },
};

describe("planRequest + recordPlan", () => {
  test("request 002 becomes three parallel tasks with disjoint files, recorded with their changes", async () => {
    await using fx = await repoFixture();
    const plan = await planRequest(contextFor(fx.repo), testappRequest(2, "r-002"));
    expect(plan.brief.kind).toBe("refactor");
    expect(plan.tasks.map((t) => t.task.owned_paths)).toEqual([
      ["src/math.ts", "tests/math.test.ts"],
      ["src/format.ts", "tests/format.test.ts"],
      ["src/report.ts", "tests/report.test.ts"],
    ]);
    expect(plan.tasks[2]!.task.context_paths).toEqual(["src/format.ts", "src/math.ts"]);
    const result = recordPlan(fx.repo.db, plan, {
      existing: false,
      answers: null,
      enqueue: enqueueInto(fx.repo),
    });
    expect(result.status).toBe("enqueued");
    expect(result.change_requests).toHaveLength(3);

    const sql = requestsSql(fx.repo.db);
    expect(sql.getRequest("r-002")).toMatchObject({
      status: "enqueued",
      kind: "refactor",
      fallback: 0,
      agent: "stub",
    });
    const rows = sql.tasksOf("r-002");
    expect(rows.map((r) => r.status)).toEqual(["enqueued", "enqueued", "enqueued"]);
    const queue = createQueue(fx.repo.db, { secret: readSecret(fx.repo.loc) });
    for (const [i, row] of rows.entries()) {
      expect(row.change_id).toBe(result.change_requests[i]!.id);
      const change = queue.get(row.change_id!);
      expect(change?.task_id).toBe(row.id);
      expect(change?.status).toBe("queued");
    }
  });

  test("garbage from every agent turn falls back to the stub, visibly: in the result, the rows, summary and history", async () => {
    await using fx = await repoFixture();
    const plan = await planRequest(contextFor(fx.repo, garbage), testappRequest(1, "r-fb"));
    expect(plan.fallbacks.map((f) => f.role)).toEqual(["engineer", "orchestrator", "developer"]);
    for (const f of plan.fallbacks)
      expect(f).toMatchObject({ agent: "garbage", reason: "the output holds no JSON object" });
    const result = recordPlan(fx.repo.db, plan, {
      existing: false,
      answers: null,
      enqueue: enqueueInto(fx.repo),
    });
    expect(result).toMatchObject({ agent: "garbage", fallback: true, status: "enqueued" });
    expect(result.tasks[0]).toMatchObject({ agent: "stub", fallback: true });
    const sql = requestsSql(fx.repo.db);
    const row = sql.getRequest("r-fb")!;
    expect(row.fallback).toBe(1);
    expect(row.fallback_reason).toContain("engineer (garbage): the output holds no JSON object");
    expect(sql.tasksOf("r-fb")[0]).toMatchObject({ agent: "stub", fallback: 1 });
    // And wherever a person looks at the request afterwards.
    const summary = await hyperion(["summary", "r-fb", "--repo", fx.path]);
    expect(summary.exitCode).toBe(0);
    expect(summary.stdout).toContain("(stub fallback)");
    const history = await hyperion(["history", "--repo", fx.path, "--format", "json"]);
    expect(JSON.parse(history.stdout)).toContainEqual(
      expect.objectContaining({ id: "r-fb", fallback: true }),
    );
  });

  test("with fallback off, garbage is an error and nothing is recorded", async () => {
    await using fx = await repoFixture();
    const e = await planRequest(contextFor(fx.repo, garbage, false), testappRequest(1, "r-nofb")).catch(
      (x) => x,
    );
    expect(e).toBeInstanceOf(HyperionError);
    expect(e.code).toBe("E_AGENT_OUTPUT");
    expect(requestsSql(fx.repo.db).hasRequest("r-nofb")).toBe(false);
  });

  test("a developer writing outside its owned files fails its contract and the stub stands in", async () => {
    await using fx = await repoFixture();
    const plan = await planRequest(contextFor(fx.repo, rogue), testappRequest(1, "r-rogue"));
    expect(plan.fallbacks).toHaveLength(1);
    expect(plan.fallbacks[0]).toMatchObject({ role: "developer", task_id: "r-rogue-t1", agent: "rogue" });
    expect(plan.fallbacks[0]!.reason).toContain("'src/evil.ts' is not owned by task r-rogue-t1");
    expect(plan.tasks[0]!.change?.changes.map((c) => c.path)).toEqual(["src/greet.ts"]);
  });

  test("a reused request id is refused and the first request is untouched", async () => {
    await using fx = await repoFixture();
    const opts = { existing: false, answers: null, enqueue: enqueueInto(fx.repo) };
    recordPlan(fx.repo.db, await planRequest(contextFor(fx.repo), testappRequest(1, "r-dup")), opts);
    const again = await planRequest(contextFor(fx.repo), testappRequest(2, "r-dup"));
    expect(() => recordPlan(fx.repo.db, again, opts)).toThrow(
      expect.objectContaining({ code: "E_REQUEST_EXISTS" }),
    );
    expect(requestsSql(fx.repo.db).tasksOf("r-dup")).toHaveLength(1);
    expect(createQueue(fx.repo.db, { secret: readSecret(fx.repo.loc) }).list()).toHaveLength(1);
  });

  test("a refused change rolls back the request, its tasks and every other change", async () => {
    await using fx = await repoFixture();
    const plan = await planRequest(contextFor(fx.repo), testappRequest(2, "r-undo"));
    let calls = 0;
    const failing = (crs: Parameters<ReturnType<typeof enqueueInto>>[0], o: { priority: number }) => {
      calls++;
      enqueueInto(fx.repo)(crs, o);
      throw new HyperionError("E_CONFLICT", "refused");
    };
    expect(() => recordPlan(fx.repo.db, plan, { existing: false, answers: null, enqueue: failing })).toThrow(
      "refused",
    );
    expect(calls).toBe(1);
    expect(requestsSql(fx.repo.db).hasRequest("r-undo")).toBe(false);
    expect(createQueue(fx.repo.db, { secret: readSecret(fx.repo.loc) }).list()).toHaveLength(0);
  });
  test("a request whose edits change nothing is recorded as no_changes, with nothing queued", async () => {
    await using fx = await repoFixture();
    const same = readFileSync(join(fx.path, "src/greet.ts"), "utf8");
    const request = fileRequest({
      ...TaskRequest.parse({ title: "noop", edits: [{ op: "modify", path: "src/greet.ts", content: same }] }),
      id: "r-noop",
    });
    const result = recordPlan(fx.repo.db, await planRequest(contextFor(fx.repo), request), {
      existing: false,
      answers: null,
      enqueue: enqueueInto(fx.repo),
    });
    expect(result).toMatchObject({
      status: "no_changes",
      change_requests: [],
      tasks: [{ status: "no_changes" }],
    });
    expect(requestsSql(fx.repo.db).getRequest("r-noop")?.status).toBe("no_changes");
    expect(createQueue(fx.repo.db, { secret: readSecret(fx.repo.loc) }).list()).toHaveLength(0);
  });

  test("the request's priority travels with its changes into the queue", async () => {
    await using fx = await repoFixture();
    const request = fileRequest({ ...testappRequest(1, "r-prio"), priority: 7 });
    const result = recordPlan(fx.repo.db, await planRequest(contextFor(fx.repo), request), {
      existing: false,
      answers: null,
      enqueue: enqueueInto(fx.repo),
    });
    const queue = createQueue(fx.repo.db, { secret: readSecret(fx.repo.loc) });
    expect(queue.get(result.change_requests[0]!.id!)?.priority).toBe(7);
  });
});
