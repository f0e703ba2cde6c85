import { describe, expect, test } from "bun:test";
import { pathKey } from "../../lib/queue/index.ts";
import { cr, queueFixture } from "./_fixture.ts";

describe("paths", () => {
  test("one spelling per file", () => {
    expect(["src/a.ts", "./src/a.ts", "src//a.ts", "src/x/../a.ts", "src/a.ts/"].map(pathKey)).toEqual(
      Array(5).fill("src/a.ts"),
    );
  });

  test("two spellings of one path still apply one at a time", async () => {
    await using f = await queueFixture();
    f.queue.enqueue([cr(["src/a.ts"]), cr(["./src//a.ts"])]);
    expect(f.queue.leaseBatch("w", 5)).toHaveLength(1);
  });

  test("queuedOnPath lists queued and leased changes on a path in queue order, with their entry", async () => {
    await using f = await queueFixture();
    const [one, , three, four] = f.queue.enqueue([cr(["a", "b"]), cr(["b"]), cr(["x->a"]), cr(["a"])]);
    f.queue.enqueue(cr(["a"]), { status: "awaiting_approval" });
    f.queue.lease("w");
    const on = f.queue.queuedOnPath("./a");
    expect(on.map((c) => [c.id, c.seq])).toEqual([
      [one!.id, 1],
      [three!.id, 3],
      [four!.id, 4],
    ]);
    expect(on[0]!.change).toMatchObject({ path: "a", operation: "modify" });
    expect(on[1]!.change).toMatchObject({ path: "x", operation: "rename", new_path: "a" });
    const l = f.queue.get(one!.id)!;
    f.queue.complete(l.id, l.lease_token);
    expect(f.queue.queuedOnPath("a").map((c) => c.seq)).toEqual([3, 4]);
  });

  test("markNeedsRebase flags the open changes on a path and only those", async () => {
    await using f = await queueFixture();
    const [done, open, held, elsewhere] = f.queue.enqueue([cr(["a"]), cr(["a"]), cr(["a"]), cr(["b"])]);
    const l = f.queue.lease("w")!;
    f.queue.complete(l.id, l.token);
    f.queue.reject(held!.id);
    expect(f.queue.markNeedsRebase("a")).toBe(1);
    expect(f.queue.get(open!.id)!.needs_rebase).toBe(true);
    expect(f.queue.get(done!.id)!.needs_rebase).toBe(false);
    expect(f.queue.get(elsewhere!.id)!.needs_rebase).toBe(false);
    expect(f.queue.lease("w")).toMatchObject({ id: open!.id, needs_rebase: true });
  });
});
