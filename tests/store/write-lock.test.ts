import { describe, expect, test } from "bun:test";
import { createWriteLock, withWriteLock, writeLockStats } from "../../lib/store/write-lock.ts";

describe("write lock stats", () => {
  test("a nested transaction is one hold, and stats since a mark count only what came after", () => {
    const mark = writeLockStats();
    withWriteLock(() => withWriteLock(() => withWriteLock(() => Bun.sleepSync(2))));
    withWriteLock(() => 1);
    const since = writeLockStats(mark);
    expect(since.holds).toBe(2);
    expect(since.held_ms).toBeGreaterThanOrEqual(2);
    expect(writeLockStats().holds).toBe(mark.holds + 2);
  });

  test("a hold that throws is still counted and released", () => {
    createWriteLock(); // a pool's lock: were it not released, the next hold would wait forever
    const mark = writeLockStats();
    expect(() =>
      withWriteLock(() => {
        throw new Error("boom");
      }),
    ).toThrow("boom");
    expect(withWriteLock(() => "next")).toBe("next");
    expect(writeLockStats(mark).holds).toBe(2);
  });
});
