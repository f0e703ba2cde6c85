import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { holdSessionDir } from "../../../lib/agents/session.ts";
import { tmpdir } from "../../_helpers.ts";

/** A lock file naming another process, as a second `hyperion` holding the session would leave it. */
const lockedBy = (dir: string, pid: number) =>
  writeFileSync(join(dir, "turn.lock"), JSON.stringify({ pid, start: null }));

describe("a stored session's directory, one turn at a time across processes", () => {
  test("a live owner is waited for; once it is gone the lock is taken over", async () => {
    await using dir = await tmpdir("hyperion-lock-");
    const other = Bun.spawn(["sleep", "60"]);
    lockedBy(dir.path, other.pid);
    let held = false;
    const waiting = holdSessionDir(dir.path).then((release) => {
      held = true;
      return release;
    });
    await Bun.sleep(300);
    expect(held).toBe(false);
    other.kill();
    await other.exited;
    const release = await waiting;
    expect(JSON.parse(readFileSync(join(dir.path, "turn.lock"), "utf8")).pid).toBe(process.pid);
    release();
    expect(existsSync(join(dir.path, "turn.lock"))).toBe(false);
  });

  test("a lock whose owner exited is taken at once; a wait ends when the turn is aborted", async () => {
    await using dir = await tmpdir("hyperion-lock-");
    const gone = Bun.spawn(["true"]);
    await gone.exited;
    lockedBy(dir.path, gone.pid);
    const release = await holdSessionDir(dir.path);
    release();
    lockedBy(dir.path, process.ppid);
    const ctl = new AbortController();
    const waiting = holdSessionDir(dir.path, ctl.signal);
    ctl.abort(new Error("turn deadline"));
    await expect(waiting).rejects.toThrow("turn deadline");
  });
});
