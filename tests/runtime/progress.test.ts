import { describe, expect, test } from "bun:test";
import { emptyTally, type ProgressRecord, textLine } from "../../lib/runtime/progress.ts";

const record = (extra: Partial<ProgressRecord>): ProgressRecord => ({
  type: "summary",
  ts: "2026-11-30T00:00:00.000Z",
  elapsed_ms: 2_000,
  workers: 2,
  ...emptyTally(),
  applied: 10,
  queued: 0,
  leased: 0,
  awaiting_approval: 0,
  throughput_per_s: 5,
  delta: emptyTally(),
  ...extra,
});

describe("progress lines", () => {
  test("the summary says how busy the write lock was over the run", () => {
    const line = textLine(record({ write_lock: { holds: 40, held_ms: 500, wait_ms: 120 } }));
    expect(line).toContain("write lock busy 25%");
    expect(textLine(record({}))).not.toContain("write lock");
  });
});
