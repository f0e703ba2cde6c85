import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { QueueMetricsRecord } from "../../lib/ops/index.ts";
import { hyperion, tmpdir } from "../_helpers.ts";
import { seedRepo } from "../ops/_seed.ts";

const H = 3_600_000;

const ids = async (repo: string): Promise<string[]> => {
  const r = await hyperion(["list", "--repo", repo, "--format", "json"]);
  return (JSON.parse(r.stdout) as { id: string }[]).map((c) => c.id).sort();
};

describe("hyperion queue-metrics", () => {
  test("reports depth by status, throughput and latencies over the window, as QueueMetricsRecord", async () => {
    await using dir = await tmpdir();
    const { now } = seedRepo(dir.path);
    const r = await hyperion(["queue-metrics", "--repo", dir.path, "--window", "1d", "--format", "json"]);
    expect(r.exitCode).toBe(0);
    const m = QueueMetricsRecord.parse(JSON.parse(r.stdout));
    expect(m.depth).toEqual({
      queued: 2,
      leased: 0,
      applied: 1,
      dead: 1,
      awaiting_approval: 1,
      rejected: 0,
      rolled_back: 0,
    });
    expect(m.window_ms).toBe(24 * H);
    expect(m.throughput).toMatchObject({ leased: 2, applied: 1, dead: 1, failed: 0 });
    expect(m.latency_ms.apply).toMatchObject({ count: 1, p50: 0.5 * H, max: 0.5 * H });
    expect(m.latency_ms.dequeue).toMatchObject({ count: 2, p95: 0.5 * H });
    expect(m.workers.map((w) => w.worker)).toEqual(["host:1:w1"]);
    // c3 has been queued since now-5h; the command ran a little later.
    expect(m.oldest_queued_ms).toBeGreaterThanOrEqual(5 * H);
    expect(m.oldest_queued_ms).toBeLessThan(5 * H + (Date.parse(m.at) - now) + 1);
  });

  test("the default window (5m) sees none of the hours-old events; the table names each part", async () => {
    await using dir = await tmpdir();
    seedRepo(dir.path);
    const r = await hyperion(["queue-metrics", "--repo", dir.path, "--format", "json"]);
    const m = QueueMetricsRecord.parse(JSON.parse(r.stdout));
    expect(m.window_ms).toBe(300_000);
    expect(m.throughput.leased + m.throughput.applied + m.throughput.dead).toBe(0);
    const table = await hyperion(["queue-metrics", "--repo", dir.path]);
    expect(table.exitCode).toBe(0);
    for (const word of [
      "depth",
      "throughput",
      "latency",
      "contention",
      "workers",
      "dead letters 1",
      "queued 5h ago",
    ])
      expect(table.stdout).toContain(word);
  });

  test("a bad --window exits 2 with one line", async () => {
    await using dir = await tmpdir();
    const r = await hyperion(["queue-metrics", "--repo", dir.path, "--window", "soon"]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toStartWith("hyperion: E_DURATION: --window 'soon'");
  });
});

describe("hyperion archive and prune", () => {
  test("--dry-run counts and moves nothing; --older-than moves only changes finished before then", async () => {
    await using dir = await tmpdir();
    seedRepo(dir.path);
    const dry = await hyperion([
      "archive",
      "--repo",
      dir.path,
      "--older-than",
      "8h",
      "--dry-run",
      "--format",
      "json",
    ]);
    expect(dry.exitCode).toBe(0);
    expect(JSON.parse(dry.stdout)).toMatchObject({ moved: 1, dry_run: true, older_than_ms: 8 * H });
    expect(await ids(dir.path)).toEqual(["c1", "c2", "c3", "c4", "c5"]);
    // c1 was applied 9h ago, c2 died 7h ago: only c1 is older than 8h.
    const real = await hyperion(["archive", "--repo", dir.path, "--older-than", "8h"]);
    expect(real.exitCode).toBe(0);
    expect(real.stdout).toStartWith("moved 1 finished change and 2 log events older than 8h to ");
    expect(await ids(dir.path)).toEqual(["c2", "c3", "c4", "c5"]);
    expect(existsSync(join(dir.path, ".hyperion", "archive"))).toBe(true);
    const again = await hyperion(["archive", "--repo", dir.path, "--older-than", "8h"]);
    expect(again.stdout).toStartWith("nothing to archive");
  });

  test("prune applies the TTL from config.json", async () => {
    await using dir = await tmpdir();
    seedRepo(dir.path);
    const none = await hyperion(["prune", "--repo", dir.path, "--format", "json"]);
    expect(JSON.parse(none.stdout)).toMatchObject({ moved: 0, older_than_ms: 7 * 24 * H });
    const path = join(dir.path, ".hyperion", "config.json");
    const config = JSON.parse(readFileSync(path, "utf8"));
    config.queue = { ...config.queue, archive_after_ms: 2 * H };
    writeFileSync(path, JSON.stringify(config));
    const r = await hyperion(["prune", "--repo", dir.path, "--format", "json"]);
    expect(r.exitCode).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ moved: 2, dry_run: false, older_than_ms: 2 * H });
    expect(await ids(dir.path)).toEqual(["c3", "c4", "c5"]);
  });

  test("bad flags exit 2 and move nothing", async () => {
    await using dir = await tmpdir();
    seedRepo(dir.path);
    for (const argv of [
      ["archive", "--older-than", "a week"],
      ["archive", "--batch", "0"],
    ]) {
      const r = await hyperion([...argv, "--repo", dir.path]);
      expect(r.exitCode).toBe(2);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
      // The error names the flag that was given.
      expect(r.stderr).toContain(`--${argv[1]!.slice(2)} '${argv[2]}'`);
    }
    expect(await ids(dir.path)).toEqual(["c1", "c2", "c3", "c4", "c5"]);
    expect(existsSync(join(dir.path, ".hyperion", "archive"))).toBe(false);
  });
});
