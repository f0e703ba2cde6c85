import { describe, expect, test } from "bun:test";
import { sha256Hex } from "../../lib/patch/hash.ts";
import { verifyPayload } from "../../lib/patch/sign.ts";
import { ChangeRequest } from "../../lib/schema/index.ts";
import { repositoryId } from "../../lib/store/index.ts";
import { cr, queueFixture, SECRET, thrown } from "./_fixture.ts";

describe("enqueue", () => {
  test("assigns an id, signs the payload with the id filled in and records every path", async () => {
    await using f = await queueFixture();
    const [e] = f.queue.enqueue(cr(["src/a.ts", "src/old.ts->src/new.ts"]));
    expect(e!.id).toMatch(/^cr-[0-9a-z]{19}$/);
    expect(e!.status).toBe("queued");
    expect(e!.paths.sort()).toEqual(["src/a.ts", "src/new.ts", "src/old.ts"]);
    const row = f.queue.get(e!.id)!;
    expect(JSON.parse(row.payload).id).toBe(e!.id);
    expect(ChangeRequest.parse(JSON.parse(row.payload)).changes).toHaveLength(2);
    expect(row.payload_sha256).toBe(sha256Hex(row.payload));
    expect(
      verifyPayload(
        SECRET,
        { repository: repositoryId(f.db), id: row.id, payload: row.payload },
        row.signature,
      ),
    ).toBe(true);
    expect(f.queue.paths(e!.id)).toEqual(["src/a.ts", "src/new.ts", "src/old.ts"]);
    expect(f.queue.logs(e!.id).map((l) => l.event)).toEqual(["enqueued"]);
  });

  test("a batch is stored in one transaction with priority, attempts and risk", async () => {
    await using f = await queueFixture({ config: { max_attempts: 7 } });
    const out = f.queue.enqueue([cr(["a"]), cr(["b"]), cr(["c"], { id: "cr-mine" })], {
      priority: 3,
      risk: "high",
      riskScore: 0.8,
    });
    expect(out.map((e) => e.seq)).toEqual([1, 2, 3]);
    expect(out[2]!.id).toBe("cr-mine");
    const row = f.queue.get("cr-mine")!;
    expect(row).toMatchObject({ priority: 3, risk: "high", risk_score: 0.8, max_attempts: 7, attempts: 0 });
    expect(f.queue.enqueue(cr(["d"]), { maxAttempts: 2 })[0]!.id).toBeString();
    expect(f.queue.list({ limit: 1 })[0]!.max_attempts).toBe(2);
  });

  test("a reused id refuses the whole batch and stores nothing", async () => {
    await using f = await queueFixture();
    f.queue.enqueue(cr(["a"], { id: "cr-1" }));
    const e = thrown(() => f.queue.enqueue([cr(["b"], { id: "cr-2" }), cr(["c"], { id: "cr-1" })]));
    expect(e.code).toBe("E_DUPLICATE_ID");
    expect(e.exitCode).toBe(2);
    expect(f.queue.get("cr-2")).toBeNull();
    const inBatch = thrown(() => f.queue.enqueue([cr(["b"], { id: "cr-3" }), cr(["c"], { id: "cr-3" })]));
    expect(inBatch.code).toBe("E_DUPLICATE_ID");
    expect(f.queue.list()).toHaveLength(1);
  });

  test("a change held for approval is stored but never leased until approved", async () => {
    await using f = await queueFixture();
    const [held] = f.queue.enqueue(cr(["a"]), { status: "awaiting_approval" });
    expect(held!.status).toBe("awaiting_approval");
    expect(f.queue.lease("w")).toBeNull();
    f.queue.approve(held!.id, "alice");
    expect(f.queue.lease("w")?.id).toBe(held!.id);
    expect(f.queue.logs(held!.id).map((l) => l.event)).toEqual(["enqueued", "approved"]);
  });

  test("a rejected change is finished and frees its path", async () => {
    await using f = await queueFixture();
    const [a, b] = f.queue.enqueue([cr(["p"]), cr(["p"])]);
    f.queue.reject(a!.id, "not wanted");
    expect(f.queue.get(a!.id)!.status).toBe("rejected");
    expect(f.queue.lease("w")?.id).toBe(b!.id);
    expect(thrown(() => f.queue.approve(a!.id)).code).toBe("E_BAD_STATUS");
  });
});

describe("queue order in the database", () => {
  test("a status write that would put a change ahead of one already in line is refused by the schema", async () => {
    await using f = await queueFixture();
    const [held] = f.queue.enqueue(cr(["p"]), { status: "awaiting_approval" });
    const [later] = f.queue.enqueue(cr(["p"]));
    expect(f.queue.lease("w")?.id).toBe(later!.id);
    // What approve does without its new seq: held would be first in line while later is leased.
    expect(() => f.db.run("UPDATE change_queue SET status = 'queued' WHERE id = ?", [held!.id])).toThrow(
      /E_QUEUE_ORDER/,
    );
    expect(f.queue.get(held!.id)!.status).toBe("awaiting_approval");
    f.queue.approve(held!.id);
    expect(f.queue.get(held!.id)!.seq).toBeGreaterThan(later!.seq);
    expect(f.queue.lease("w")).toBeNull();
  });
});
