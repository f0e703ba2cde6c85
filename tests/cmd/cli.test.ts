import { describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { locate } from "../../lib/store/index.ts";
import { hyperion, ROOT, run, tmpdir } from "../_helpers.ts";

/** Bad input: one line on stderr, no stack trace. */
const oneLine = (stderr: string, code: string) => {
  const lines = stderr.trim().split("\n");
  expect(lines).toHaveLength(1);
  expect(lines[0]).toStartWith(`hyperion: ${code}: `);
  expect(stderr).not.toContain("    at ");
};

describe("hyperion", () => {
  test("--version prints the package version", async () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
    const r = await hyperion(["--version"]);
    expect(r).toMatchObject({ exitCode: 0, stdout: `${pkg.version}\n` });
  });

  test("--help lists every command, without colour when stdout is not a terminal", async () => {
    const r = await hyperion(["--help"]);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain("init");
    expect(r.stdout).toContain("schema");
    expect(r.stdout).not.toContain("\x1b[");
  });

  test("<cmd> --help describes that command's flags", async () => {
    const r = await hyperion(["init", "--help"]);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain("--repo");
  });

  test("an unknown command exits 2 with one line", async () => {
    const r = await hyperion(["frobnicate"]);
    expect(r.exitCode).toBe(2);
    oneLine(r.stderr, "E_USAGE");
  });

  test("an unknown flag exits 2 and creates nothing", async () => {
    await using dir = await tmpdir();
    const r = await hyperion(["init", "--repo", dir.path, "--colour"]);
    expect(r.exitCode).toBe(2);
    oneLine(r.stderr, "E_USAGE");
    expect(readdirSync(dir.path)).toEqual([]);
  });

  test("a command file runs on its own like the root", async () => {
    const direct = await run([process.execPath, join(ROOT, "cmd/schema.ts"), "task-request"]);
    const viaRoot = await hyperion(["schema", "task-request"]);
    expect(direct.exitCode).toBe(0);
    expect(direct.stdout).toBe(viaRoot.stdout);
    expect(JSON.parse(direct.stdout).type).toBe("object");
  });
});

describe("hyperion schema", () => {
  test("lists the names", async () => {
    const r = await hyperion(["schema"]);
    expect(r.exitCode).toBe(0);
    for (const name of ["task-request", "scope-brief", "developer-task", "change-request"])
      expect(r.stdout).toContain(name);
  });

  test("an unknown name exits 2 with the valid names", async () => {
    const r = await hyperion(["schema", "nope"]);
    expect(r.exitCode).toBe(2);
    oneLine(r.stderr, "E_UNKNOWN_SCHEMA");
    expect(r.stderr).toContain("change-request");
  });
});

describe("hyperion init", () => {
  test("creates the database, an owner-only secret and the default config, and is idempotent", async () => {
    await using dir = await tmpdir();
    const first = await hyperion(["init", "--repo", dir.path, "--format", "json"]);
    expect(first.exitCode).toBe(0);
    const out = JSON.parse(first.stdout);
    expect(out.created).toHaveLength(4);
    // The key lives in the state directory, outside the repository's tree.
    const key = locate({ repo: dir.path }).secret;
    expect(key.startsWith(dir.path)).toBe(false);
    expect(existsSync(join(dir.path, ".hyperion/secret"))).toBe(false);
    expect(statSync(key).mode & 0o777).toBe(0o600);
    expect(readFileSync(key, "utf8").trim()).toMatch(/^[0-9a-f]{64}$/);
    const config = JSON.parse(readFileSync(join(dir.path, ".hyperion/config.json"), "utf8"));
    expect(config.workers).toBe(2);
    const secret = readFileSync(key);

    const again = await hyperion(["init", "--repo", dir.path, "--format", "json"]);
    expect(again.exitCode).toBe(0);
    expect(JSON.parse(again.stdout).created).toEqual([]);
    expect(readFileSync(key).equals(secret)).toBe(true);
  });

  test("adds .hyperion/ to .gitignore once in a git repository, and leaves other repositories alone", async () => {
    await using dir = await tmpdir();
    mkdirSync(join(dir.path, ".git"));
    writeFileSync(join(dir.path, ".gitignore"), "node_modules");
    await hyperion(["init", "--repo", dir.path]);
    await hyperion(["init", "--repo", dir.path]);
    expect(readFileSync(join(dir.path, ".gitignore"), "utf8")).toBe("node_modules\n.hyperion/\n");

    await using plain = await tmpdir();
    await hyperion(["init", "--repo", plain.path]);
    expect(existsSync(join(plain.path, ".gitignore"))).toBe(false);
  });

  test("honours --db and HYPERION_DB", async () => {
    await using dir = await tmpdir();
    const viaFlag = join(dir.path, "flag.db");
    expect((await hyperion(["init", "--repo", dir.path, "--db", viaFlag])).exitCode).toBe(0);
    expect(existsSync(viaFlag)).toBe(true);
    const viaEnv = join(dir.path, "env.db");
    expect((await hyperion(["init", "--repo", dir.path], { env: { HYPERION_DB: viaEnv } })).exitCode).toBe(0);
    expect(existsSync(viaEnv)).toBe(true);
  });

  test("a missing --repo exits 2 and creates nothing", async () => {
    await using dir = await tmpdir();
    const r = await hyperion(["init", "--repo", join(dir.path, "absent")]);
    expect(r.exitCode).toBe(2);
    oneLine(r.stderr, "E_REPO_NOT_FOUND");
    expect(readdirSync(dir.path)).toEqual([]);
  });

  test("an unwritable --repo exits 1 and creates nothing", async () => {
    // /proc/1 is a directory nobody, root included, may create files in.
    const r = await hyperion(["init", "--repo", "/proc/1"]);
    expect(r.exitCode).toBe(1);
    oneLine(r.stderr, "E_REPO_UNWRITABLE");
    expect(existsSync("/proc/1/.hyperion")).toBe(false);
  });

  test("a corrupt database exits 1, without a stack trace, and nothing is created or changed", async () => {
    await using dir = await tmpdir();
    const db = join(dir.path, "bad.db");
    writeFileSync(db, "garbage ".repeat(100));
    await using repo = await tmpdir();
    const r = await hyperion(["init", "--repo", repo.path, "--db", db]);
    expect(r.exitCode).toBe(1);
    oneLine(r.stderr, "E_DB_CORRUPT");
    expect(readFileSync(db, "utf8")).toBe("garbage ".repeat(100));
    expect(readdirSync(repo.path)).toEqual([]);
  });

  test("an invalid config.json is reported with its field and left alone", async () => {
    await using dir = await tmpdir();
    mkdirSync(join(dir.path, ".hyperion"));
    writeFileSync(join(dir.path, ".hyperion/config.json"), '{"workers": 0}');
    const r = await hyperion(["init", "--repo", dir.path]);
    expect(r.exitCode).toBe(2);
    oneLine(r.stderr, "E_CONFIG");
    expect(r.stderr).toContain("workers");
    expect(readdirSync(join(dir.path, ".hyperion"))).toEqual(["config.json"]);
  });
});

describe("citty's own errors", () => {
  test("an enum flag with a bad value is one plain line, exit 2", async () => {
    await using dir = await tmpdir();
    const r = await hyperion(["init", "--repo", dir.path, "--format", "xml"]);
    expect(r.exitCode).toBe(2);
    oneLine(r.stderr, "E_USAGE");
    expect(r.stderr).not.toContain("\x1b[");
    expect(readdirSync(dir.path)).toEqual([]);
  });
});
