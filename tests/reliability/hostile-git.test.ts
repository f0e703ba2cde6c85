import { describe, expect, test } from "bun:test";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { commitPaths, GIT_SAFETY } from "../../lib/governance/index.ts";
import { tmpdir } from "../_helpers.ts";

const git = (cwd: string, ...args: string[]) => {
  const r = Bun.spawnSync(["git", ...args], { cwd, stdout: "pipe", stderr: "pipe" });
  expect(r.stderr.toString()).toBe("");
  return r.stdout.toString();
};

describe("Hyperion's git calls run nothing a repository names", () => {
  test("a core.fsmonitor command in the repository's config is not run by a commit", async () => {
    await using dir = await tmpdir("hyperion-hostile-");
    const marker = join(dir.path, "FSMONITOR_RAN");
    git(dir.path, "init", "-q");
    git(dir.path, "config", "core.fsmonitor", `touch ${marker}; false`);
    writeFileSync(join(dir.path, "a.txt"), "a\n");
    const sha = commitPaths(dir.path, ["a.txt"], "add a", { task: "t", change: "cr-1" });
    expect(sha).toMatch(/^[0-9a-f]{40}$/);
    expect(existsSync(marker)).toBe(false);
  });

  test("every call carries the hooks, fsmonitor and bare-repository settings", () => {
    const settings = GIT_SAFETY.filter((_, i) => i % 2 === 1);
    expect(settings).toEqual(
      expect.arrayContaining([
        "core.hooksPath=/dev/null",
        "core.fsmonitor=false",
        "safe.bareRepository=explicit",
      ]),
    );
  });
});
