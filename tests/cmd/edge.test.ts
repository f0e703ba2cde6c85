import { describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ArgsDef, CommandDef } from "citty";
import { root } from "../../cmd/_root.ts";
import { createQueue } from "../../lib/queue/index.ts";
import type { ChangeRequest } from "../../lib/schema/index.ts";
import { initRepo, locate, openRepo, readSecret } from "../../lib/store/index.ts";
import { hyperion, ROOT, run, tmpdir } from "../_helpers.ts";

// biome-ignore lint/suspicious/noExplicitAny: any command, whatever its args
type AnyCommand = CommandDef<any>;

/** `n` queued changes, each creating its own file, with a long summary so listings grow fast. */
const queueMany = (repo: string, n: number) => {
  initRepo({ repo });
  using r = openRepo({ repo });
  const queue = createQueue(r.db, { secret: readSecret(r.loc) });
  const crs: ChangeRequest[] = Array.from({ length: n }, (_, i) => ({
    id: `cr-${i}`,
    task_id: `t-${i}`,
    summary: `change ${i} ${"x".repeat(400)}`,
    changes: [{ path: `src/f${i}.txt`, operation: "create", patch: "" }],
  }));
  queue.enqueue(crs);
};

describe("whole output", () => {
  test("a JSON listing over 1 MB piped to a reader that waits 1 s arrives whole", async () => {
    await using dir = await tmpdir();
    queueMany(dir.path, 2_000);
    const inProcess = await hyperion(["list", "--repo", dir.path, "--json", "--limit", "5000"]);
    expect(inProcess.exitCode).toBe(0);
    expect(inProcess.stdout.length).toBeGreaterThan(1_000_000);
    // A real process and a real pipe whose reader starts late: exiting before stdout drained cut
    // this at 64 KiB.
    const cli = `${process.execPath} ${join(ROOT, "cmd/hyperion.ts")}`;
    const r = await run([
      "sh",
      "-c",
      `${cli} list --repo ${dir.path} --format json --limit 5000 | { sleep 1; wc -c; }`,
    ]);
    expect(r.stdout.trim().split("\n")[0]!.trim()).toBe(String(Buffer.byteLength(inProcess.stdout)));
    expect(JSON.parse(inProcess.stdout)).toHaveLength(2_000);
  });
});

describe("repository discovery", () => {
  /** Arguments that let each command run in an initialised, empty repository. */
  const ARGS: Record<string, string[]> = {
    init: ["init"],
    request: ["request", "in.json"],
    answer: ["answer", "r-1", "--yes"],
    enqueue: ["enqueue", "in.json"],
    run: ["run"],
    worker: [],
    tui: [],
    approve: ["approve", "cr-x"],
    reject: ["reject", "cr-x", "--reason", "no"],
    retry: ["retry", "cr-x"],
    rollback: ["rollback", "cr-x"],
    summary: ["summary", "cr-x"],
    list: ["list"],
    "dead-letters": ["dead-letters"],
    history: ["history"],
    logs: ["logs"],
    "file-mods": ["file-mods"],
    "queue-metrics": ["queue-metrics"],
    doctor: ["doctor"],
    archive: ["archive", "--dry-run"],
    prune: ["prune", "--dry-run"],
    export: ["export"],
    backup: ["backup", "--to-dir", "../../backups"],
    replay: ["replay", "--from", "../../none.db", "--onto", "../.."],
    "session list": ["session", "list"],
    "session init": ["session", "init", "--resume=abc"],
    "session rm": ["session", "rm", "s-1"],
    "plan check": ["plan", "check"],
    "plan approve": ["plan", "approve"],
  };

  /** Every command (and subcommand) that takes --repo. */
  const withRepo = async (cmd: AnyCommand, path: string[] = []): Promise<string[]> => {
    const resolve = async <T>(v: T | (() => T | Promise<T>)): Promise<T> =>
      typeof v === "function" ? await (v as () => T | Promise<T>)() : v;
    const subs = cmd.subCommands ? await resolve(cmd.subCommands) : undefined;
    if (subs) {
      const all = await Promise.all(
        Object.entries(subs).map(async ([name, sub]) =>
          withRepo((await resolve(sub)) as AnyCommand, [...path, name]),
        ),
      );
      return all.flat();
    }
    const args = (cmd.args ? await resolve(cmd.args) : {}) as ArgsDef;
    return "repo" in args ? [path.join(" ")] : [];
  };

  test("every command that takes --repo is covered here", async () => {
    expect((await withRepo(root)).sort()).toEqual(Object.keys(ARGS).sort());
  });

  test("every command run from a subdirectory finds its repository and creates nothing there", async () => {
    await using dir = await tmpdir();
    initRepo({ repo: dir.path });
    const deep = join(dir.path, "src", "deep");
    mkdirSync(deep, { recursive: true });
    writeFileSync(join(deep, "in.json"), JSON.stringify({ title: "t", edits: [] }));
    for (const [name, argv] of Object.entries(ARGS)) {
      // worker runs until a signal (run covers its start); tui needs a terminal (tests/tui/tmux.test.ts).
      if (argv.length === 0) continue;
      const r = await hyperion(argv, { cwd: deep });
      expect({ name, out: r.stderr }).not.toEqual({
        name,
        out: expect.stringContaining("E_NOT_INITIALIZED"),
      });
      expect({ name, created: readdirSync(deep).sort() }).toEqual({ name, created: ["in.json"] });
    }
    expect(existsSync(join(dir.path, ".hyperion-bundle", "HYPERION.md"))).toBe(true);
    expect(readdirSync(join(dir.path, "backups"))).toHaveLength(1);
  });

  test("init inside an initialised repository refuses and names it; nothing is created", async () => {
    await using dir = await tmpdir();
    initRepo({ repo: dir.path });
    const sub = join(dir.path, "pkg");
    mkdirSync(sub);
    for (const argv of [["init"], ["init", "--repo", sub]]) {
      const r = await hyperion(argv, { cwd: sub });
      expect(r.exitCode).toBe(2);
      expect(r.stderr).toStartWith(`hyperion: E_INIT_NESTED: ${sub} is inside the repository ${dir.path}`);
      expect(readdirSync(sub)).toEqual([]);
    }
  });

  test("outside any repository the error says where it looked and how to fix it", async () => {
    await using dir = await tmpdir();
    const r = await hyperion(["list"], { cwd: dir.path });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toBe(
      `hyperion: E_NOT_INITIALIZED: no Hyperion database at ${join(dir.path, ".hyperion/hyperion.db")}, and no .hyperion/ in a directory above (run \`hyperion init\` at the repository's root, or pass --repo DIR)\n`,
    );
  });
});

describe("outside text on the terminal", () => {
  test("an escape sequence in a refused path reaches stderr escaped, never raw", async () => {
    await using dir = await tmpdir();
    initRepo({ repo: dir.path });
    const osc52 = "\x1b]52;c;ZXZpbA==\x07";
    const cr = { task_id: "t", changes: [{ path: `a${osc52}.txt`, operation: "create", patch: "" }] };
    writeFileSync(join(dir.path, "in.json"), JSON.stringify(cr));
    const r = await hyperion(["enqueue", "in.json", "--repo", dir.path], { cwd: dir.path });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).not.toContain("\x1b");
    expect(r.stderr).not.toContain("\x07");
    expect(r.stderr).toContain("\\x1b]52;c;ZXZpbA==\\x07");
  });
});

describe("the exit code table", () => {
  test("0 done, 1 environment, 2 usage or input, 3 a person is needed", async () => {
    await using dir = await tmpdir();
    initRepo({ repo: dir.path });
    expect((await hyperion(["list", "--repo", dir.path])).exitCode).toBe(0);
    expect((await hyperion(["list", "--repo", dir.path, "--colour"])).exitCode).toBe(2);
    expect((await hyperion(["enqueue", join(dir.path, "nope.json"), "--repo", dir.path])).exitCode).toBe(2);

    // A request with open questions waits for a person.
    writeFileSync(join(dir.path, "vague.json"), JSON.stringify({ title: "make it better" }));
    const vague = await hyperion(["request", "vague.json", "--repo", dir.path], { cwd: dir.path });
    expect(vague.exitCode).toBe(3);

    // The environment: a signing key others can read is refused before anything runs.
    const { chmodSync } = await import("node:fs");
    chmodSync(locate({ repo: dir.path }).secret, 0o644);
    const unsafe = await hyperion(["enqueue", "vague.json", "--repo", dir.path], { cwd: dir.path });
    expect(unsafe.exitCode).toBe(1);
    expect(unsafe.stderr).toStartWith("hyperion: E_SECRET_UNSAFE");
  });
});
