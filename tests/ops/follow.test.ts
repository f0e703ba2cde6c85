import { Database } from "bun:sqlite";
import { expect, setDefaultTimeout, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { hyperion, ROOT, tmpdir } from "../_helpers.ts";
import { stackedChanges, writeTree } from "../runtime/_changes.ts";

// Real child processes on a shared machine: a cap against hangs, not a speed target.
setDefaultTimeout(120_000);

/** `hyperion logs --follow --format json` as a child process, its lines collected as they come. */
const follower = (repo: string, after: number) => {
  const proc = Bun.spawn(
    [
      process.execPath,
      join(ROOT, "cmd/hyperion.ts"),
      "logs",
      "--follow",
      "--json",
      "--after",
      String(after),
      "--repo",
      repo,
    ],
    { stdout: "pipe", stderr: "pipe", env: { ...process.env, HYPERION_LOG: undefined } },
  );
  let text = "";
  const reading = (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of proc.stdout) text += decoder.decode(chunk, { stream: true });
  })();
  const ids = () =>
    text
      .split("\n")
      .slice(0, -1) // a line is whole once its newline arrived
      .map((l) => (JSON.parse(l) as { id: number }).id);
  return { proc, ids, reading };
};

const until = async (cond: () => boolean) => {
  for (let i = 0; i < 6_000 && !cond(); i++) await Bun.sleep(10);
  expect(cond()).toBe(true);
};

test("logs --follow emits each event of a 600-change run exactly once, and resumes after a restart without gaps or repeats", async () => {
  await using dir = await tmpdir();
  writeTree(dir.path, 50, 20);
  expect((await hyperion(["init", "--repo", dir.path])).exitCode).toBe(0);
  const input = join(dir.path, "changes.json");
  writeFileSync(input, JSON.stringify(stackedChanges(50, 20, 600)));

  const first = follower(dir.path, 0);
  expect((await hyperion(["enqueue", input, "--repo", dir.path])).exitCode).toBe(0);
  const running = hyperion(["run", "--repo", dir.path, "--no-watch", "--workers", "2"]);
  // Stop the first follower part way through, as a shipper restart would.
  await until(() => first.ids().length >= 300);
  first.proc.kill("SIGTERM");
  expect(await first.proc.exited).toBe(130);
  await first.reading;
  const seen = first.ids();

  const second = follower(dir.path, seen.at(-1)!);
  expect((await running).exitCode).toBe(0);
  const db = new Database(join(dir.path, ".hyperion/hyperion.db"), { readonly: true });
  const all = db
    .query<{ id: number }, []>("SELECT id FROM change_queue_logs ORDER BY id")
    .all()
    .map((r) => r.id);
  db.close();
  await until(() => second.ids().at(-1) === all.at(-1));
  second.proc.kill("SIGTERM");
  await second.proc.exited;
  await second.reading;

  expect(all.length).toBeGreaterThanOrEqual(1_200); // enqueued and applied, at least, for each change
  expect([...seen, ...second.ids()]).toEqual(all);

  // The run's workers recorded their poll interval with every lease.
  const m = JSON.parse((await hyperion(["queue-metrics", "--repo", dir.path, "--json"])).stdout);
  expect(m.workers.length).toBeGreaterThan(0);
  for (const w of m.workers) expect(typeof w.poll_ms).toBe("number");
  expect(m.throughput.success_rate).toBe(1);
});
