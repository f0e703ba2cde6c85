import { beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { run, tmpdir } from "../_helpers.ts";
import { compiledBinary } from "./_binary.ts";
import { copyTestapp, expectedTree, readTree } from "./_tree.ts";

// The compiled executable finds itself differently from `bun cmd/hyperion.ts` (demo re-runs it
// as child processes), so the agents' commands are checked in the binary too.
let bin = "";

beforeAll(async () => {
  bin = await compiledBinary();
});

describe("compiled hyperion: the agents pipeline", () => {
  test("request plans and enqueues outside the source tree; bad JSON is one line", async () => {
    await using repo = await tmpdir();
    copyTestapp(repo.path);
    expect((await run([bin, "init"], { cwd: repo.path })).exitCode).toBe(0);
    const r = await run([bin, "request", "orchestrate-request-002.json", "--format", "json"], {
      cwd: repo.path,
    });
    expect(r.exitCode).toBe(0);
    expect(JSON.parse(r.stdout).change_requests).toHaveLength(3);
    const bad = await run([bin, "request", "-"], { cwd: repo.path, stdin: "{" });
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toStartWith("hyperion: E_JSON: <stdin>:1:2: ");
  });

  test("demo runs its steps through the binary itself, from the testapp it carries", async () => {
    await using tmp = await tmpdir();
    const out = join(tmp.path, "demo");
    const r = await run([bin, "demo", "--dir", out], { cwd: tmp.path });
    expect(r.stderr).toBe("");
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain("applied 4 · retried 0 · dead 0");
    expect(readTree(out)).toEqual(expectedTree("003"));
  });
});
