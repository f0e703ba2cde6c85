import { createQueue } from "../../lib/queue/index.ts";
import { type ChangeRequest, fileKey } from "../../lib/schema/index.ts";
import { initRepo, openRepo, readSecret, requestsSql } from "../../lib/store/index.ts";

const H = 3_600_000;

/**
 * A repository whose database holds a known history, written through the real queue with its
 * clock set back in time (relative to now, so `--since 2h` has a meaning):
 *
 *   request  created   status               tasks  changes
 *   r1       now-11h   enqueued             2      c1 (a1, applied at -9h), c2 (a2, dead at -7h)
 *   r2       now-6h    enqueued (copilot)   1      c3 (a1, queued at -5h), c4 (a2, awaiting approval at -1h)
 *   r3       now-20m   needs_clarification  0
 *   -                                             c5 (a1, ad-hoc, queued at -30m)
 *
 * Log events: the queue's own, plus an `error` and a `debug` event of c3 at -4h and -3h.
 * File modifications: c1 wrote src/a/one.ts (-9h) and src/a/two.ts (-9h); an outside edit of
 * docs/x.md at -2h.
 */
export const seedRepo = (repo: string, now = Date.now()) => {
  initRepo({ repo });
  using r = openRepo({ repo });
  let clock = now;
  const at = (offset: number) => {
    clock = now - offset;
  };
  const queue = createQueue(r.db, { secret: readSecret(r.loc), now: () => clock });
  const cr = (id: string, agent: string, request: string | undefined, path: string): ChangeRequest => ({
    id,
    task_id: `t-${id}`,
    ...(request ? { request_id: request } : {}),
    agent,
    summary: `change ${id}`,
    changes: [{ path, operation: "create", patch: "" }],
  });
  const req = requestsSql(r.db);
  const request = (id: string, offset: number, status: "enqueued" | "needs_clarification", agent = "stub") =>
    req.insertRequest({
      id,
      title: `request ${id}`,
      kind: "feature",
      risk: "low",
      status,
      priority: 0,
      payload: "{}",
      brief: null,
      answers: null,
      agent,
      fallback: 0,
      fallback_reason: null,
      created_at: now - offset,
    });
  const task = (id: string, requestId: string, offset: number) =>
    req.insertTask({
      id,
      request_id: requestId,
      title: id,
      status: "enqueued",
      owned_paths: "[]",
      context_paths: "[]",
      estimated_tokens: 0,
      payload: "{}",
      agent: "stub",
      fallback: 0,
      fallback_reason: null,
      change_id: null,
      created_at: now - offset,
    });

  request("r1", 11 * H, "enqueued");
  task("t-c1", "r1", 11 * H);
  task("t-c2", "r1", 11 * H);
  at(10 * H);
  queue.enqueue(cr("c1", "a1", "r1", "src/a/one.ts"));
  at(9.5 * H);
  const l1 = queue.lease("host:1:w1")!;
  at(9 * H);
  queue.complete(l1.id, l1.token);
  // As the apply records them: the path as the change spelled it, beside its file key.
  const mod = (path: string, kind: string, change: string | null, source: string, ts: number) =>
    r.db.run(
      "INSERT INTO file_modifications (path, key, kind, change_id, source, ts) VALUES (?, ?, ?, ?, ?, ?)",
      [path, fileKey(path), kind, change, source, ts],
    );
  mod("src/a/one.ts", "create", "c1", "apply", now - 9 * H);
  mod("src/a/two.ts", "create", "c1", "apply", now - 9 * H + 1);
  at(8 * H);
  queue.enqueue(cr("c2", "a2", "r1", "src/b.ts"));
  at(7.5 * H);
  const l2 = queue.lease("host:1:w1")!;
  at(7 * H);
  queue.fail(l2.id, l2.token, {
    code: "E_PATH_OUTSIDE_REPO",
    message: "path escapes the repository",
    retryable: false,
  });

  request("r2", 6 * H, "enqueued", "copilot");
  task("t-c3", "r2", 6 * H);
  at(5 * H);
  queue.enqueue(cr("c3", "a1", "r2", "src/c.ts"));
  at(4 * H);
  queue.log("c3", "validation_failed", { command: "bun test" }, "error", "w1");
  at(3 * H);
  queue.log("c3", "probe", { n: 1 }, "debug", "w1");
  mod("docs/x.md", "modify", null, "external", now - 2 * H);
  at(1 * H);
  queue.enqueue(cr("c4", "a2", "r2", "src/d.ts"), { status: "awaiting_approval" });
  request("r3", H / 3, "needs_clarification");
  at(H / 2);
  queue.enqueue(cr("c5", "a1", undefined, "src/e.ts"));
  return { now };
};
