import { expect, test } from "bun:test";
import { join } from "node:path";
import { checkArchive } from "../../lib/ops/doctor/queue-checks.ts";
import { defaultConfig } from "../../lib/schema/index.ts";
import { runtimeSql } from "../../lib/store/runtime-sql.ts";
import { cr, manualClock, queueFixture } from "../queue/_fixture.ts";

test("doctor's archive check counts what prune would move: finished changes and external edits past the TTL", async () => {
  const clock = manualClock(Date.UTC(2026, 10, 1));
  await using f = await queueFixture({ now: clock.now });
  const config = defaultConfig();
  const ttl = config.queue.archive_after_ms;
  const dir = join(f.dir, "archive");
  f.queue.enqueue(cr(["a"]));
  const l = f.queue.lease("w")!;
  f.queue.complete(l.id, l.token);
  runtimeSql(f.db).recordExternal("b.ts", "modified", clock.now());
  expect(checkArchive(f.db, dir, config, clock.now()).status).toBe("ok");

  clock.advance(ttl + 1);
  const due = checkArchive(f.db, dir, config, clock.now());
  expect(due).toMatchObject({ status: "warn", details: { due: 1, external_edits_due: 1 } });
  expect(due.summary).toBe("no archive yet; 1 finished change and 1 external edit older than the TTL (7d)");

  f.queue.archive({ olderThanMs: ttl });
  expect(checkArchive(f.db, dir, config, clock.now())).toMatchObject({
    status: "ok",
    details: { files: 1, due: 0, external_edits_due: 0 },
  });
});
