import { describe, expect, test } from "bun:test";
import { checkCollisions } from "../../lib/patch/paths.ts";
import { type ChangeRequest, fileKey, requestPaths } from "../../lib/schema/index.ts";
import { watchSql } from "../../lib/store/runtime-sql.ts";
import { cr, queueFixture, thrown } from "./_fixture.ts";

const NFC = "caf\u00e9.txt";
const NFD = "cafe\u0301.txt";
const sha = (c: string) => c.repeat(64);

/** A change to `path` from the file with hash `from` to the one with hash `to`. */
const edit = (id: string, path: string, from: string, to: string): ChangeRequest => ({
  id,
  task_id: "adhoc",
  changes: [{ path, operation: "modify", patch: "", base_sha256: sha(from), new_sha256: sha(to) }],
});

describe("fileKey", () => {
  test("one key per spelling of a path", () => {
    expect(["src/a.ts", "./src/a.ts", "src//a.ts", "src/x/../a.ts", "src/a.ts/"].map(fileKey)).toEqual(
      Array(5).fill("src/a.ts"),
    );
  });

  test("one key for the names a case-insensitive, normalising file system takes as one file", () => {
    expect(fileKey("Src/A.txt")).toBe(fileKey("src/a.txt"));
    expect(fileKey("SRC\\A.TXT")).toBe(fileKey("src/a.txt"));
    expect(fileKey(NFD)).toBe(fileKey(NFC));
    expect(fileKey("CAFE\u0301.TXT")).toBe(fileKey(NFC));
    expect(fileKey("Stra\u00dfe")).toBe(fileKey("STRASSE"));
    expect(fileKey("a\u200bb")).toBe(fileKey("ab"));
    expect(fileKey("src/a.txt")).not.toBe(fileKey("src/b.txt"));
  });

  test("apply's collision check uses the same key", () => {
    expect(thrown(() => checkCollisions(["Src/A.txt", "src/a.txt"])).code).toBe("E_PATH_COLLISION");
    expect(thrown(() => checkCollisions([NFC, NFD])).code).toBe("E_PATH_COLLISION");
  });

  test("a request's paths: one per file, as its first entry spelled it", () => {
    expect(requestPaths(cr(["Src/A.txt", "src/a.txt", "b->SRC/A.TXT"]))).toEqual([
      { path: "Src/A.txt", key: "src/a.txt" },
      { path: "b", key: "b" },
    ]);
  });
});

describe("the line is per file", () => {
  test("two spellings of one path still apply one at a time", async () => {
    await using f = await queueFixture();
    f.queue.enqueue([cr(["src/a.ts"]), cr(["./src//a.ts"])]);
    expect(f.queue.leaseBatch("w", 5)).toHaveLength(1);
  });

  for (const [name, first, second] of [
    ["case", "Src/A.txt", "src/a.txt"],
    ["Unicode normalisation", NFC, NFD],
  ] as const) {
    test(`two changes on one file spelled apart by ${name} wait in one line`, async () => {
      await using f = await queueFixture();
      const [one] = f.queue.enqueue(cr([first]));
      const [two] = f.queue.enqueue(cr([second]));
      const other = f.other().queue;
      // Queued: only the first is ready.
      expect(f.queue.leaseBatch("w1", 5).map((l) => l.id)).toEqual([one!.id]);
      // Leased: no other worker, on another connection, takes the second.
      expect(other.lease("w2")).toBeNull();
      expect(other.leaseBatch("w2", 5)).toEqual([]);
      const l = f.queue.get(one!.id)!;
      f.queue.complete(l.id, l.lease_token);
      expect(other.lease("w2")?.id).toBe(two!.id);
    });

    test(`a change leased back into the queue keeps its place before the other spelling (${name})`, async () => {
      await using f = await queueFixture();
      const [one, two] = f.queue.enqueue([cr([first]), cr([second])]);
      const l = f.queue.lease("w")!;
      expect(l.id).toBe(one!.id);
      expect(f.queue.release(l.id, l.token)).toBe(true);
      const ready = (id: string) =>
        f.db.query<{ ready: number }, [string]>("SELECT ready FROM change_queue WHERE id = ?").get(id)!.ready;
      expect([ready(one!.id), ready(two!.id)]).toEqual([1, 0]);
      expect(f.queue.lease("w")?.id).toBe(one!.id);
      expect(f.queue.lease("w")).toBeNull();
    });
  }

  test("listings show each change's own spelling", async () => {
    await using f = await queueFixture();
    const [one] = f.queue.enqueue(cr(["Src/A.txt", "b"]));
    const [two] = f.queue.enqueue(cr(["src/a.txt", "./c"]));
    const [three] = f.queue.enqueue(cr([NFD]));
    expect([one!.paths, two!.paths, three!.paths]).toEqual([["Src/A.txt", "b"], ["src/a.txt", "./c"], [NFD]]);
    expect(f.queue.paths(one!.id)).toEqual(["Src/A.txt", "b"]);
    expect(f.queue.paths(two!.id)).toEqual(["./c", "src/a.txt"]);
    expect(f.queue.paths(three!.id)).toEqual([NFD]);
    const enqueued = (id: string) => f.queue.logs(id).find((e) => e.event === "enqueued")!.data.paths;
    expect(enqueued(two!.id)).toEqual(["src/a.txt", "./c"]);
  });

  test("a path seen on disk finds the changes queued under every spelling of its file", async () => {
    await using f = await queueFixture();
    const [, two, elsewhere] = f.queue.enqueue([
      edit("one", "Src/A.txt", "0", "1"),
      edit("two", "src/a.txt", "1", "2"),
      edit("three", "src/b.txt", "0", "3"),
    ]);
    expect(f.queue.tipOf("SRC/a.TXT")?.sha).toBe(sha("2"));
    // The watcher's judgment: a lease under another spelling of the file is a write in flight.
    const leased = () =>
      watchSql(f.db)
        .undecided([["SRC/A.TXT", null]])
        .get("SRC/A.TXT")?.leased;
    expect(leased()).toBe(false);
    f.queue.lease("w");
    expect(leased()).toBe(true);
    expect(f.queue.markNeedsRebase("SRC/A.TXT")).toBe(2);
    expect(f.queue.get(two!.id)!.needs_rebase).toBe(true);
    expect(f.queue.get(elsewhere!.id)!.needs_rebase).toBe(false);
    // The event shows the path as the watcher saw it.
    const row = f.db
      .query<{ data: string }, []>("SELECT data FROM change_queue_logs WHERE event = 'needs_rebase'")
      .get();
    expect(JSON.parse(row!.data)).toEqual({ path: "SRC/A.TXT", changes: 2 });
  });

  test("a change made on a held change's result under another spelling is stacked on it and waits for it", async () => {
    await using f = await queueFixture();
    f.queue.enqueue(edit("a", "Src/A.txt", "0", "1"), { status: "awaiting_approval" });
    f.queue.enqueue(edit("b", "src/a.txt", "1", "2"));
    expect(f.queue.producerOf("SRC/A.TXT", sha("1"))).toBe("a");
    expect(f.queue.lease("w")).toBeNull();
    expect(f.queue.waitingFor("b")).toBe("a");
    f.queue.approve("a");
    const order: string[] = [];
    for (let l = f.queue.lease("w"); l; l = f.queue.lease("w")) {
      order.push(l.id);
      f.queue.complete(l.id, l.token);
    }
    expect(order).toEqual(["a", "b"]);
  });

  test("tipOf: what the newest open change on a file leaves there, and the content enqueue kept", async () => {
    await using f = await queueFixture();
    const results = (key: string, text: string) => [new Map([[fileKey(key), text]])];
    f.queue.enqueue(edit("a", "a", "0", "1"), { results: results("a", "one\n") });
    expect(f.queue.tipOf("./a")).toMatchObject({ sha: sha("1") });
    expect(f.queue.tipOf("a")!.text()).toBe("one\n");
    // A newer change held for a person is the tip; one enqueued without its content has none.
    f.queue.enqueue(edit("b", "A", "1", "2"), { status: "awaiting_approval" });
    expect(f.queue.tipOf("a")!.sha).toBe(sha("2"));
    expect(f.queue.tipOf("a")!.text()).toBeNull();
    // A rename leaves no file behind and its content at the new path; a delete leaves none.
    f.queue.enqueue(
      {
        id: "c",
        task_id: "adhoc",
        changes: [{ path: "x", operation: "rename", new_path: "y", base_sha256: sha("5") }],
      },
      { results: results("y", "moved\n") },
    );
    expect(f.queue.tipOf("x")!.sha).toBeNull();
    expect(f.queue.tipOf("y")!.text()).toBe("moved\n");
    // A short text is kept as it is, a long one compressed; both read back the same.
    const long = "a long line of text\n".repeat(50);
    f.queue.enqueue(edit("d", "w", "6", "7"), { results: results("w", long) });
    expect(f.queue.tipOf("w")!.text()).toBe(long);
    const stored = f.db
      .query<{ key: string; kind: string }, []>(
        "SELECT key, typeof(content) AS kind FROM change_results ORDER BY key",
      )
      .all();
    expect(stored).toEqual([
      { key: "a", kind: "text" },
      { key: "w", kind: "blob" },
      { key: "y", kind: "text" },
    ]);
    expect(f.queue.tipOf("z")).toBeNull();
    // Rejected or applied, a change is no longer open: the file's tip is the change before it.
    f.queue.reject("b");
    expect(f.queue.tipOf("a")!.sha).toBe(sha("1"));
    const l = f.queue.lease("w")!;
    f.queue.complete(l.id, l.token);
    expect(f.queue.tipOf("a")).toBeNull();
    // A finished change's content is dropped: the tree holds it now (or nothing does).
    const kept = f.db.query<{ key: string }, []>("SELECT key FROM change_results").all();
    expect(kept.map((r) => r.key).sort()).toEqual(["w", "y"]);
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
