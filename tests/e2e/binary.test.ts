import { beforeAll, describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { ROOT, run, tmpdir } from "../_helpers.ts";

// The compiled executable, built once into a temp dir and run from outside the source tree.
let bin = "";
let cleanup: (() => Promise<void>) | undefined;

beforeAll(async () => {
  const dir = await tmpdir("hyperion-bin-");
  cleanup = () => dir[Symbol.asyncDispose]();
  bin = join(dir.path, "hyperion");
  const built = await run([process.execPath, join(ROOT, "scripts/build.ts"), "--outfile", bin]);
  expect(built.exitCode).toBe(0);
  return cleanup;
});

describe("compiled hyperion", () => {
  test("prints its version", async () => {
    await using cwd = await tmpdir();
    const r = await run([bin, "--version"], { cwd: cwd.path });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
  });

  test("initialises a repository outside the source tree", async () => {
    await using cwd = await tmpdir();
    const r = await run([bin, "init"], { cwd: cwd.path });
    expect(r.exitCode).toBe(0);
    expect(existsSync(join(cwd.path, ".hyperion/hyperion.db"))).toBe(true);
  });

  test("prints a JSON Schema and refuses an unknown one", async () => {
    await using cwd = await tmpdir();
    const ok = await run([bin, "schema", "change-request"], { cwd: cwd.path });
    expect(ok.exitCode).toBe(0);
    expect(JSON.parse(ok.stdout).properties.changes.type).toBe("array");
    const bad = await run([bin, "schema", "nope"], { cwd: cwd.path });
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toStartWith("hyperion: E_UNKNOWN_SCHEMA");
  });
});
