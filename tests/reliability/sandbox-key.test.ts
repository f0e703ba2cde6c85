/**
 * The signing key lives outside the repository's tree (the repository's state directory), one per
 * repository, mode 0600; a key an earlier version kept in `.hyperion/secret` moves there once.
 */
import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync, renameSync, statSync } from "node:fs";
import { join } from "node:path";
import { initRepo, locate, readSecret, repoStateDir } from "../../lib/store/index.ts";
import { tmpdir } from "../_helpers.ts";

describe("the signing key", () => {
  test("outside the tree, one per repository, owner-only", async () => {
    await using a = await tmpdir();
    await using b = await tmpdir();
    initRepo({ repo: a.path });
    initRepo({ repo: b.path });
    const [la, lb] = [locate({ repo: a.path }), locate({ repo: b.path })];
    expect(la.secret).toBe(join(repoStateDir(a.path), "secret"));
    expect(la.secret.startsWith(a.path)).toBe(false);
    expect(existsSync(join(a.path, ".hyperion/secret"))).toBe(false);
    expect(statSync(la.secret).mode & 0o777).toBe(0o600);
    expect(readSecret(la).equals(readSecret(lb))).toBe(false);
  });

  test("a key kept in .hyperion/secret by an earlier version moves out on first use, the same key", async () => {
    await using a = await tmpdir();
    initRepo({ repo: a.path });
    const loc = locate({ repo: a.path });
    const key = readSecret(loc);
    renameSync(loc.secret, loc.legacySecret);
    expect(readSecret(loc).equals(key)).toBe(true);
    expect(existsSync(loc.legacySecret)).toBe(false);
    expect(statSync(loc.secret).mode & 0o777).toBe(0o600);
  });

  test("a legacy key others could read moves with its mode, and stays refused until a person fixes it", async () => {
    await using a = await tmpdir();
    initRepo({ repo: a.path });
    const loc = locate({ repo: a.path });
    const text = readFileSync(loc.secret, "utf8");
    renameSync(loc.secret, loc.legacySecret);
    Bun.spawnSync(["chmod", "644", loc.legacySecret]);
    expect(() => readSecret(loc)).toThrow(expect.objectContaining({ code: "E_SECRET_UNSAFE" }));
    expect(readFileSync(loc.secret, "utf8")).toBe(text);
    expect(statSync(loc.secret).mode & 0o777).toBe(0o644);
  });
});
