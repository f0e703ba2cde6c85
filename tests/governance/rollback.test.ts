import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeFileChange } from "../../lib/patch/index.ts";
import { hyperion, run, tmpdir } from "../_helpers.ts";
import { copyTestapp, readTree, TESTAPP } from "../e2e/_tree.ts";

// Real child processes on a shared machine: a cap against hangs, not a speed target.
setDefaultTimeout(120_000);

const lines = (n: number, edit: Record<number, string> = {}) =>
  `${Array.from({ length: n }, (_, i) => edit[i] ?? `line ${i}`).join("\n")}\n`;

const oneChange = async (before: string, after: string) => {
  const dir = await tmpdir();
  writeFileSync(join(dir.path, "f.txt"), before);
  await hyperion(["init", "--repo", dir.path]);
  writeFileSync(
    join(dir.path, ".hyperion/in.json"),
    JSON.stringify({
      id: "cr-1",
      task_id: "adhoc",
      summary: "edit f",
      changes: [makeFileChange("f.txt", before, after)],
    }),
  );
  expect(
    (await hyperion(["enqueue", join(dir.path, ".hyperion/in.json"), "--repo", dir.path])).exitCode,
  ).toBe(0);
  expect((await hyperion(["run", "--repo", dir.path, "--until-empty", "--no-watch"])).exitCode).toBe(0);
  return dir;
};

describe("hyperion rollback", () => {
  test("rolling back a request restores the tree byte for byte", async () => {
    await using dir = await tmpdir();
    copyTestapp(dir.path);
    await hyperion(["init", "--repo", dir.path]);
    const original = readTree(dir.path);
    const req = await hyperion([
      "request",
      join(TESTAPP, "orchestrate-request-003.json"),
      "--repo",
      dir.path,
      "--format",
      "json",
    ]);
    expect(req.exitCode).toBe(0);
    const requestId = JSON.parse(req.stdout).request_id;
    await hyperion(["plan", "approve", "--repo", dir.path]);
    expect((await hyperion(["run", "--repo", dir.path, "--until-empty", "--no-watch"])).exitCode).toBe(0);
    expect(readTree(dir.path)).not.toEqual(original);

    const r = await hyperion(["rollback", "--request", requestId, "--repo", dir.path, "--format", "json"]);
    expect(r.exitCode).toBe(0);
    expect(JSON.parse(r.stdout).rolled_back).toHaveLength(4);
    expect(readTree(dir.path)).toEqual(original);

    const summary = JSON.parse(
      (await hyperion(["summary", requestId, "--repo", dir.path, "--format", "json"])).stdout,
    );
    expect(summary.changes.map((c: { status: string }) => c.status)).toEqual(Array(4).fill("rolled_back"));
  });

  test("refuses, naming the path, when the file changed since; --force merges the change out", async () => {
    const before = lines(12);
    await using dir = await oneChange(before, lines(12, { 1: "changed by cr-1" }));
    // A later edit far from the change's lines.
    const later = lines(12, { 1: "changed by cr-1", 10: "edited later" });
    writeFileSync(join(dir.path, "f.txt"), later);

    const refused = await hyperion(["rollback", "cr-1", "--repo", dir.path]);
    expect(refused.exitCode).toBe(3);
    expect(refused.stderr).toStartWith("hyperion: E_ROLLBACK_DIVERGED");
    expect(refused.stderr).toContain("f.txt");
    expect(readFileSync(join(dir.path, "f.txt"), "utf8")).toBe(later);

    const forced = await hyperion(["rollback", "cr-1", "--force", "--repo", dir.path]);
    expect(forced.exitCode).toBe(0);
    expect(readFileSync(join(dir.path, "f.txt"), "utf8")).toBe(lines(12, { 10: "edited later" }));
  });

  test("--force refuses, writing nothing, when later edits overlap the change", async () => {
    await using dir = await oneChange(lines(5), lines(5, { 2: "changed by cr-1" }));
    const overlapping = lines(5, { 2: "changed again by hand" });
    writeFileSync(join(dir.path, "f.txt"), overlapping);
    const r = await hyperion(["rollback", "cr-1", "--force", "--repo", dir.path]);
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toStartWith("hyperion: E_ROLLBACK_CONFLICT");
    expect(readFileSync(join(dir.path, "f.txt"), "utf8")).toBe(overlapping);
  });

  test("in git mode a rollback is a revert commit", async () => {
    await using dir = await tmpdir();
    const git = (...args: string[]) =>
      run(["git", "-C", dir.path, "-c", "user.name=t", "-c", "user.email=t@t", ...args]);
    writeFileSync(join(dir.path, "f.txt"), "one\n");
    await git("init", "-q");
    await hyperion(["init", "--repo", dir.path]);
    await git("add", "f.txt", ".gitignore");
    await git("commit", "-qm", "start");
    writeFileSync(join(dir.path, ".hyperion/config.json"), JSON.stringify({ git: { commit: true } }));
    writeFileSync(
      join(dir.path, ".hyperion/in.json"),
      JSON.stringify({
        id: "cr-g",
        task_id: "t-9",
        summary: "Say two",
        changes: [makeFileChange("f.txt", "one\n", "two\n")],
      }),
    );
    await hyperion(["enqueue", join(dir.path, ".hyperion/in.json"), "--repo", dir.path]);
    expect((await hyperion(["run", "--repo", dir.path, "--until-empty", "--no-watch"])).exitCode).toBe(0);
    const r = await hyperion(["rollback", "cr-g", "--repo", dir.path, "--format", "json"]);
    expect(r.exitCode).toBe(0);
    expect(readFileSync(join(dir.path, "f.txt"), "utf8")).toBe("one\n");
    const subjects = (await git("log", "--format=%s")).stdout.trim().split("\n");
    expect(subjects).toEqual(['Revert "Say two"', "Say two", "start"]);
    expect((await git("log", "-1", "--format=%b")).stdout).toContain("Hyperion-Change: cr-g");
  });
});
