import { describe, expect, test } from "bun:test";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeFileChange } from "../../lib/patch/index.ts";
import { createQueue } from "../../lib/queue/index.ts";
import { startRun } from "../../lib/runtime/index.ts";
import { initRepo, openRepo, readSecret } from "../../lib/store/index.ts";
import { hyperion, tmpdir } from "../_helpers.ts";

const FILES = 100;
const VERSIONS = 10;
const content = (i: number, v: number) => `f${i} v${v}\n`;

/** A repository with FILES files and VERSIONS changes queued for each. */
const prepared = async () => {
  const dir = await tmpdir("hyperion-archive-drain-");
  mkdirSync(join(dir.path, "src"));
  for (let i = 0; i < FILES; i++) writeFileSync(join(dir.path, `src/f${i}.txt`), content(i, 0));
  initRepo({ repo: dir.path });
  {
    using r = openRepo({ repo: dir.path });
    const queue = createQueue(r.db, { secret: readSecret(r.loc), config: r.config.queue });
    for (let v = 1; v <= VERSIONS; v++)
      queue.enqueue(
        Array.from({ length: FILES }, (_, i) => ({
          task_id: `t-${v}-${i}`,
          changes: [makeFileChange(`src/f${i}.txt`, content(i, v - 1), content(i, v))],
        })),
      );
  }
  return dir;
};

/** Drains with two workers, `during` running beside it until the run is done. */
const drain = async (repo: string, during: (done: () => boolean) => Promise<void>) => {
  const runner = startRun({
    repo,
    workers: 2,
    untilEmpty: true,
    progressIntervalMs: 3_600_000,
    onProgress: () => {},
    watch: false,
  });
  let finished = false;
  const beside = during(() => finished);
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = (() => true) as typeof process.stdout.write; // the run's summary line
  const summary = await runner.done.finally(() => {
    process.stdout.write = write;
    finished = true;
  });
  await beside;
  return summary;
};

describe("archival and long locks beside a drain", () => {
  test("`hyperion archive` run again and again during a drain: the run applies everything, exit 0", async () => {
    await using dir = await prepared();
    const archives: number[] = [];
    const summary = await drain(dir.path, async (done) => {
      // Each archive moves what the run has finished so far, 50 changes per transaction.
      while (!done()) {
        const a = await hyperion(["archive", "--older-than", "0s", "--batch", "50", "--repo", dir.path]);
        archives.push(a.exitCode);
        if (a.exitCode !== 0) throw new Error(a.stderr);
      }
    });
    expect(summary.exit_code).toBe(0);
    expect(summary.applied).toBe(FILES * VERSIONS);
    expect(archives.length).toBeGreaterThan(0);
    for (let i = 0; i < FILES; i++)
      expect(readFileSync(join(dir.path, `src/f${i}.txt`), "utf8")).toBe(content(i, VERSIONS));
  }, 120_000);

  test("a lock held by another process past busy_timeout (5 s) during a drain is waited out", async () => {
    await using dir = await prepared();
    const db = join(dir.path, ".hyperion", "hyperion.db");
    const summary = await drain(dir.path, async () => {
      const holder = Bun.spawn(
        [process.execPath, join(import.meta.dir, "_storage-child.ts"), "hold", db, "6000"],
        { stdout: "pipe", env: process.env },
      );
      expect(await new Response(holder.stdout).text()).toBe("locked\n");
      expect(await holder.exited).toBe(0);
    });
    expect(summary.exit_code).toBe(0);
    expect(summary.applied).toBe(FILES * VERSIONS);
    for (let i = 0; i < FILES; i++)
      expect(readFileSync(join(dir.path, `src/f${i}.txt`), "utf8")).toBe(content(i, VERSIONS));
  }, 120_000);
});
