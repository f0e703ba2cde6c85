import { describe, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { hyperion, tmpdir } from "../_helpers.ts";
import { expectedTree, readTree } from "./_tree.ts";

describe("hyperion demo", () => {
  test("copies testapp, runs request 003 through the agents and the queue, and shows the record", async () => {
    await using tmp = await tmpdir("hyperion-demo-test-");
    const dir = join(tmp.path, "demo");
    const r = await hyperion(["demo", "--dir", dir]);
    expect(r.stderr).toBe("");
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain(`a copy of`);
    expect(r.stdout).toMatch(/request r-\S+ \(refactor\): 4 tasks, 4 change requests/);
    expect(r.stdout).toContain("applied 4 · retried 0 · dead 0 · held for approval 0");
    expect(r.stdout).toContain(`$ hyperion file-mods --request r-`);
    expect(r.stdout).toContain(`$ hyperion queue-metrics --repo ${dir}`);
    expect(r.stdout).toContain(`hyperion summary <request> --repo ${dir}`);
    expect(readTree(dir)).toEqual(expectedTree("003"));
  });

  test("refuses a --dir that is not empty, and touches nothing in it", async () => {
    await using tmp = await tmpdir("hyperion-demo-test-");
    mkdirSync(join(tmp.path, "d"));
    writeFileSync(join(tmp.path, "d/keep.txt"), "mine");
    const r = await hyperion(["demo", "--dir", join(tmp.path, "d")]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toStartWith("hyperion: E_DEMO_DIR: ");
    expect(readTree(join(tmp.path, "d"))).toEqual({ "keep.txt": "mine" });
  });

  test("refuses a --testapp without the requests", async () => {
    await using tmp = await tmpdir("hyperion-demo-test-");
    const r = await hyperion(["demo", "--testapp", tmp.path]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toStartWith("hyperion: E_DEMO_NO_TESTAPP: ");
  });
});
