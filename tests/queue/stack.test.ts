import { describe, expect, test } from "bun:test";
import type { ChangeRequest } from "../../lib/schema/index.ts";
import { manualClock, queueFixture } from "./_fixture.ts";

const sha = (c: string) => c.repeat(64);

/** A change to `path` from the file with hash `from` to the one with hash `to` (the queue reads only the hashes). */
const edit = (id: string, path: string, from: string, to: string): ChangeRequest => ({
  id,
  task_id: "adhoc",
  changes: [
    {
      path,
      operation: "modify",
      patch: `--- a/${path}\n+++ b/${path}\n`,
      base_sha256: sha(from),
      new_sha256: sha(to),
    },
  ],
});

const held = { status: "awaiting_approval" as const };

describe("stacked changes", () => {
  test("enqueue records the open change a base is the result of, in this batch or an earlier one", async () => {
    await using f = await queueFixture();
    f.queue.enqueue([edit("a", "p", "0", "1"), edit("b", "p", "1", "2")]);
    f.queue.enqueue(edit("c", "p", "2", "3"));
    f.queue.enqueue(edit("d", "p", "0", "4")); // made against the tree: stacked on nothing
    const after = (id: string) => f.queue.logs(id).find((l) => l.event === "enqueued")!.data.after ?? null;
    expect(["a", "b", "c", "d"].map(after)).toEqual([null, ["a"], ["b"], null]);
  });

  test("a change stacked on a held one is not leased until that one is approved, then the stack leases in order", async () => {
    await using f = await queueFixture();
    f.queue.enqueue(edit("a", "p", "0", "1"), held);
    f.queue.enqueue(edit("b", "p", "1", "2"));
    f.queue.enqueue(edit("c", "p", "2", "3"));
    expect(f.queue.lease("w")).toBeNull();
    expect([f.queue.waitingFor("b"), f.queue.waitingFor("c")]).toEqual(["a", "a"]);
    f.queue.approve("a");
    expect(f.queue.waitingFor("b")).toBeNull();
    const order: string[] = [];
    for (let l = f.queue.lease("w"); l; l = f.queue.lease("w")) {
      order.push(l.id);
      f.queue.complete(l.id, l.token);
    }
    expect(order).toEqual(["a", "b", "c"]);
  });

  test("a held change with nothing stacked on it holds up no one on its path", async () => {
    await using f = await queueFixture();
    f.queue.enqueue(edit("a", "p", "0", "1"), held);
    f.queue.enqueue(edit("e", "p", "0", "5")); // against the tree, not a's result
    expect(f.queue.lease("w")?.id).toBe("e");
    expect(f.queue.waitingFor("e")).toBeNull();
  });

  test("a held change approved before the held change it is stacked on waits behind it", async () => {
    await using f = await queueFixture();
    f.queue.enqueue(edit("a", "p", "0", "1"), held);
    f.queue.enqueue(edit("b", "p", "1", "2"), held);
    f.queue.approve("b");
    expect(f.queue.lease("w")).toBeNull();
    expect(f.queue.waitingFor("b")).toBe("a");
    f.queue.approve("a");
    const first = f.queue.lease("w")!;
    expect(first.id).toBe("a");
    f.queue.complete(first.id, first.token);
    expect(f.queue.lease("w")?.id).toBe("b");
  });

  test("a predecessor that dies takes its stack with it at once (E_DEPENDENCY), and frees the line", async () => {
    await using f = await queueFixture();
    f.queue.enqueue(edit("a", "p", "0", "1"));
    f.queue.enqueue(edit("b", "p", "1", "2"));
    f.queue.enqueue(edit("c", "p", "2", "3"));
    f.queue.enqueue(edit("z", "q", "0", "1")); // another path: untouched
    const a = f.queue.lease("w")!;
    expect(a.id).toBe("a");
    f.queue.fail(a.id, a.token, { code: "E_CONFLICT", message: "overlapping edit", retryable: false });
    for (const id of ["b", "c"]) {
      expect(f.queue.get(id)).toMatchObject({ status: "dead", attempts: 0 });
      expect(f.queue.deadLetter(id)).toMatchObject({ reason_code: "E_DEPENDENCY" });
      expect(f.queue.deadLetter(id)!.message).toContain("a, which was dead (E_CONFLICT)");
    }
    expect(f.queue.logs("c").at(-1)).toMatchObject({ event: "dead", data: { dependency: "b", root: "a" } });
    expect(f.queue.lease("w")?.id).toBe("z");
    expect(f.queue.lease("w")).toBeNull();
  });

  test("rolling back a predecessor fails what is still queued on top of it", async () => {
    await using f = await queueFixture();
    f.queue.enqueue(edit("a", "p", "0", "1"));
    const a = f.queue.lease("w")!;
    f.queue.enqueue(edit("b", "p", "1", "2"));
    f.queue.complete(a.id, a.token);
    f.queue.markRolledBack("a");
    expect(f.queue.deadLetter("b")).toMatchObject({ reason_code: "E_DEPENDENCY" });
    expect(f.queue.deadLetter("b")!.message).toContain("rolled back");
    expect(f.queue.lease("w")).toBeNull();
  });

  test("a predecessor whose leases keep expiring (E_LEASE_EXPIRED) fails its stack at once", async () => {
    const clock = manualClock();
    await using f = await queueFixture({ now: clock.now, config: { max_attempts: 1 } });
    f.queue.enqueue(edit("a", "p", "0", "1"));
    f.queue.enqueue(edit("b", "p", "1", "2"));
    expect(f.queue.lease("elsewhere:1:w", { leaseMs: 1_000 })?.id).toBe("a");
    clock.advance(1_001);
    expect(f.queue.lease("w")).toBeNull();
    expect(f.queue.deadLetter("a")).toMatchObject({ reason_code: "E_LEASE_EXPIRED" });
    expect(f.queue.deadLetter("b")).toMatchObject({ reason_code: "E_DEPENDENCY", attempts: 0 });
  });

  test("a stack with two held changes in it drains up to each, in order, as each is approved", async () => {
    await using f = await queueFixture();
    const drain = () => {
      const out: string[] = [];
      for (let l = f.queue.lease("w"); l; l = f.queue.lease("w")) {
        out.push(l.id);
        f.queue.complete(l.id, l.token);
      }
      return out;
    };
    f.queue.enqueue(edit("h1", "p", "0", "1"), held);
    f.queue.enqueue(edit("b", "p", "1", "2"));
    f.queue.enqueue(edit("h2", "p", "2", "3"), held);
    f.queue.enqueue(edit("c", "p", "3", "4"));
    f.queue.enqueue(edit("x", "q", "0", "1")); // another path: not held up
    expect(drain()).toEqual(["x"]);
    expect([f.queue.waitingFor("b"), f.queue.waitingFor("c")]).toEqual(["h1", "h1"]);
    f.queue.approve("h1");
    expect(drain()).toEqual(["h1", "b"]);
    expect(f.queue.waitingFor("c")).toBe("h2");
    f.queue.approve("h2");
    expect(drain()).toEqual(["h2", "c"]);
  });

  test("a change is shown waiting for the held change its stack rests on, through a predecessor on another path", async () => {
    await using f = await queueFixture();
    f.queue.enqueue(edit("a", "p", "0", "1"), held);
    const b = edit("b", "p", "1", "2");
    b.changes.push({ ...edit("b", "q", "0", "5").changes[0]! });
    f.queue.enqueue(b);
    f.queue.enqueue(edit("c", "q", "5", "6")); // stacked on b's q, which waits for a on p
    expect([f.queue.waitingFor("b"), f.queue.waitingFor("c")]).toEqual(["a", "a"]);
    expect(f.queue.lease("w")).toBeNull();
  });
});

describe("leasing a stack whole (stacks: true)", () => {
  test("takes the changes first in line with the stacks behind them, in seq order; others get none of them", async () => {
    await using f = await queueFixture();
    f.queue.enqueue([edit("a", "p", "0", "1"), edit("b", "p", "1", "2"), edit("c", "p", "2", "3")]);
    f.queue.enqueue(edit("d", "q", "0", "1"));
    // Without stacks only the heads.
    const o = f.other();
    expect(
      o.queue
        .leaseBatch("w0", 8)
        .map((l) => l.id)
        .sort(),
    ).toEqual(["a", "d"]);
    o.queue.release("a", o.queue.get("a")!.lease_token);
    o.queue.release("d", o.queue.get("d")!.lease_token);
    const got = f.queue.leaseBatch("w1", 8, { stacks: true });
    expect(got.map((l) => l.id)).toEqual(["a", "b", "c", "d"]);
    expect(o.queue.leaseBatch("w2", 8, { stacks: true })).toEqual([]);
    o.db.close();
  });

  test("a stack is cut at a change not yet due, or held for a person, and nothing behind it is taken", async () => {
    const clock = manualClock();
    await using f = await queueFixture({ now: clock.now });
    f.queue.enqueue([edit("a", "p", "0", "1"), edit("b", "p", "1", "2")]);
    f.queue.enqueue(edit("c", "p", "2", "3"), held);
    f.queue.enqueue(edit("d", "p", "3", "4"));
    expect(f.queue.leaseBatch("w", 8, { stacks: true }).map((l) => l.id)).toEqual(["a", "b"]);
    // b fails once: it waits out its backoff, and a stack behind it waits too.
    const b = f.queue.get("b")!;
    f.queue.complete("a", f.queue.get("a")!.lease_token);
    f.queue.fail("b", b.lease_token, { code: "E_IO", message: "x", retryable: true });
    expect(f.queue.leaseBatch("w", 8, { stacks: true })).toEqual([]);
  });

  test("the count bounds heads and followers together, and the rest of a stack is leased later, in order", async () => {
    await using f = await queueFixture();
    const ids = Array.from({ length: 10 }, (_, i) => `s${i}`);
    f.queue.enqueue(ids.map((id, i) => edit(id, "p", String(i), String(i + 1))));
    const order: string[] = [];
    for (let got = f.queue.leaseBatch("w", 4, { stacks: true }); got.length > 0; ) {
      expect(got.length).toBeLessThanOrEqual(4);
      order.push(...got.map((l) => l.id));
      f.queue.completeMany(got.map((l) => ({ id: l.id, token: l.token })));
      got = f.queue.leaseBatch("w", 4, { stacks: true });
    }
    expect(order).toEqual(ids);
  });
});
