import type { Database } from "bun:sqlite";
import { join } from "node:path";
import { createQueue, type Queue, type QueueOptions } from "../../lib/queue/index.ts";
import type { ChangeRequest } from "../../lib/schema/index.ts";
import { openDatabase } from "../../lib/store/index.ts";
import { tmpdir } from "../_helpers.ts";

export const SECRET = new Uint8Array(32).fill(7);

/** A clock the test moves by hand. */
export const manualClock = (start = 1_800_000_000_000) => {
  let t = start;
  return {
    now: () => t,
    advance: (ms: number): void => {
      t += ms;
    },
    set: (v: number): void => {
      t = v;
    },
  };
};

/** A queue on a fresh database file in a temporary directory, closed and removed at scope end. */
export const queueFixture = async (opts: Partial<QueueOptions> = {}) => {
  const dir = await tmpdir("hyperion-queue-");
  const path = join(dir.path, "hyperion.db");
  const db = openDatabase(path, { create: true });
  const queue = createQueue(db, { secret: SECRET, ...opts });
  return {
    dir: dir.path,
    path,
    db,
    queue,
    /** Another queue on its own connection to the same file (another worker). */
    other: (o: Partial<QueueOptions> = {}): { db: Database; queue: Queue } => {
      const d = openDatabase(path);
      extra.push(d);
      return { db: d, queue: createQueue(d, { secret: SECRET, ...opts, ...o }) };
    },
    async [Symbol.asyncDispose]() {
      for (const d of extra) d.close();
      db.close();
      await dir[Symbol.asyncDispose]();
    },
  };
};
const extra: Database[] = [];

let n = 0;
/** A change request touching `paths` (modify each; `a->b` renames a to b). */
export const cr = (paths: string[], extra: Partial<ChangeRequest> = {}): ChangeRequest => ({
  task_id: `t-${++n}`,
  agent: "test",
  changes: paths.map((p) => {
    const [from, to] = p.split("->");
    return to
      ? { path: from!, operation: "rename" as const, new_path: to, base_sha256: "a".repeat(64) }
      : {
          path: p,
          operation: "modify" as const,
          patch: `--- a/${p}\n+++ b/${p}\n`,
          base_sha256: "a".repeat(64),
        };
  }),
  ...extra,
});

/** The error `fn` throws. */
export const thrown = (fn: () => unknown): Error & { code?: string; exitCode?: number } => {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected an error");
};
