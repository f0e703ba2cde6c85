import { expect, test } from "bun:test";
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { hyperion, tmpdir } from "../_helpers.ts";
import { fileName, stackedChanges, writeTree } from "../runtime/_changes.ts";

test("alerts.command runs once per dead letter, with the event as JSON on stdin, and never again", async () => {
  await using tmp = await tmpdir();
  const repo = join(tmp.path, "repo");
  writeTree(repo, 3, 5);
  expect((await hyperion(["init", "--repo", repo])).exitCode).toBe(0);
  // The operator's alert: a program outside the repository that appends what it reads.
  const script = join(tmp.path, "alert.sh");
  const sink = join(tmp.path, "alerts.jsonl");
  writeFileSync(script, `#!/bin/sh\ncat >> "$1"\n`);
  chmodSync(script, 0o755);
  writeFileSync(
    join(repo, ".hyperion/config.json"),
    JSON.stringify({ queue: { max_attempts: 1 }, alerts: { command: `${script} ${sink}` } }),
  );
  writeFileSync(join(repo, "changes.json"), JSON.stringify(stackedChanges(3, 5, 3)));
  expect((await hyperion(["enqueue", "changes.json", "--repo", repo], { cwd: repo })).exitCode).toBe(0);
  // Two files rewritten under their queued patches: two dead letters.
  writeFileSync(join(repo, fileName(0)), "rewritten\n");
  writeFileSync(join(repo, fileName(1)), "rewritten\n");

  const r = await hyperion(["run", "--repo", repo, "--no-watch"]);
  expect(r.exitCode).toBe(3);
  const events = readFileSync(sink, "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l));
  expect(events.map((e) => e.change_id).sort()).toEqual(["cr-0", "cr-1"]);
  expect(events[0]).toMatchObject({ event: "dead_letter", repo, attempts: 1 });
  expect(events[0].reason_code).toMatch(/^E_/);
  expect(events[0].dead_at).toMatch(/^\d{4}-\d\d-\d\dT/);

  // Another run (it leaves no dead letter of its own: exit 0) sends nothing again.
  expect((await hyperion(["run", "--repo", repo, "--no-watch"])).exitCode).toBe(0);
  expect(readFileSync(sink, "utf8").trim().split("\n")).toHaveLength(2);
  expect(existsSync(join(repo, "alerts.jsonl"))).toBe(false);
});

test("an alerts.command with shell syntax is refused with a warning; the run goes on", async () => {
  await using tmp = await tmpdir();
  writeTree(tmp.path, 1, 5);
  expect((await hyperion(["init", "--repo", tmp.path])).exitCode).toBe(0);
  writeFileSync(
    join(tmp.path, ".hyperion/config.json"),
    JSON.stringify({ alerts: { command: `sh -c "cat > ${join(tmp.path, "x")}" | tee y` } }),
  );
  const r = await hyperion(["run", "--repo", tmp.path, "--no-watch"]);
  expect(r.exitCode).toBe(0);
  expect(r.stderr).toContain("alerts.command is not runnable");
  expect(existsSync(join(tmp.path, "x"))).toBe(false);
});
