import { Database } from "bun:sqlite";
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { cpSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { startRun } from "../../lib/runtime/index.ts";
import { keyFingerprint } from "../../lib/store/backup.ts";
import { locate, readSecret } from "../../lib/store/index.ts";
import { hyperion, tmpdir } from "../_helpers.ts";
import { stackedChanges, writeTree } from "../runtime/_changes.ts";

// Real Workers on a shared machine: a cap against hangs, not a speed target.
setDefaultTimeout(60_000);

/** A repository with `changes` stacked changes queued over `files` files. */
const queued = async (dir: string, files: number, changes: number) => {
  writeTree(dir, files, 40);
  expect((await hyperion(["init", "--repo", dir])).exitCode).toBe(0);
  const input = join(dir, ".hyperion", "changes.json");
  writeFileSync(input, JSON.stringify(stackedChanges(files, 40, changes)));
  expect((await hyperion(["enqueue", input, "--repo", dir])).exitCode).toBe(0);
};

const applied = (db: string): string[] => {
  const d = new Database(db, { readonly: true });
  try {
    return d
      .query<{ id: string }, []>("SELECT id FROM change_queue WHERE status = 'applied' ORDER BY id")
      .all()
      .map((r) => r.id);
  } finally {
    d.close();
  }
};

/** Every file under dir but Hyperion's own state, with its content. */
const tree = (dir: string): Record<string, string> =>
  Object.fromEntries(
    readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile() && !join(e.parentPath, e.name).includes("/.hyperion"))
      .map((e): [string, string] => [
        relative(dir, join(e.parentPath, e.name)),
        readFileSync(join(e.parentPath, e.name), "utf8"),
      ])
      .sort(([a], [b]) => a.localeCompare(b)),
  );

describe("hyperion backup", () => {
  test("a backup taken during a 2-worker drain passes integrity_check and holds every change committed before it", async () => {
    await using dir = await tmpdir();
    await queued(dir.path, 100, 2_000);
    const loc = locate({ repo: dir.path });
    const runner = startRun({
      repo: dir.path,
      workers: 2,
      untilEmpty: true,
      progressIntervalMs: 60_000,
      onProgress: () => {},
      watch: false,
    });
    let finished = false;
    const done = runner.done.then(() => {
      finished = true;
    });
    for (let i = 0; i < 4_000 && applied(loc.db).length < 20; i++) await Bun.sleep(2);
    const before = applied(loc.db);
    const file = join(dir.path, "mid-drain.db");
    const r = await hyperion(["backup", file, "--repo", dir.path, "--json"]);
    const during = !finished;
    await done;
    expect(r.exitCode).toBe(0);
    expect(during).toBe(true);
    const meta = JSON.parse(r.stdout);
    expect(meta).toMatchObject({ file, key_fingerprint: keyFingerprint(readSecret(loc)), removed: [] });
    expect(JSON.stringify(meta)).not.toContain(Buffer.from(readSecret(loc)).toString("hex"));

    const copy = new Database(file, { readonly: true });
    expect(copy.query("PRAGMA integrity_check").all()).toEqual([{ integrity_check: "ok" }]);
    copy.close();
    const inBackup = new Set(applied(file));
    expect(before.filter((id) => !inBackup.has(id))).toEqual([]);
    expect(inBackup.size).toBe(meta.applied);
    expect(applied(loc.db)).toHaveLength(2_000);

    // Never overwritten.
    const again = await hyperion(["backup", file, "--repo", dir.path]);
    expect(again.exitCode).toBe(2);
    expect(again.stderr).toStartWith("hyperion: E_BACKUP_EXISTS");
  });

  test("--to-dir keeps the newest N, and doctor reports the newest backup's age", async () => {
    await using dir = await tmpdir();
    await queued(dir.path, 2, 2);
    const config = join(dir.path, ".hyperion", "config.json");
    writeFileSync(config, JSON.stringify({ backup: { dir: "backups", keep: 2 } }));
    const warn = await hyperion(["doctor", "--repo", dir.path, "--json"]);
    expect(JSON.parse(warn.stdout).checks.find((c: { name: string }) => c.name === "backup")).toMatchObject({
      status: "warn",
      summary: `no backup in ${join(dir.path, "backups")}`,
    });
    const files: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await hyperion(["backup", "--repo", dir.path, "--json"]);
      expect(r.exitCode).toBe(0);
      files.push(JSON.parse(r.stdout).file);
      await Bun.sleep(2); // names carry milliseconds
    }
    const kept = readdirSync(join(dir.path, "backups")).sort();
    expect(kept.map((f) => join(dir.path, "backups", f))).toEqual(files.slice(1));
    const okay = await hyperion(["doctor", "--repo", dir.path, "--json"]);
    expect(JSON.parse(okay.stdout).checks.find((c: { name: string }) => c.name === "backup")).toMatchObject({
      status: "ok",
      summary: expect.stringMatching(new RegExp(`^newest backup ${files[2]}, 0 h old$`)),
    });
  });
});

describe("hyperion replay", () => {
  test("replaying a full backup onto the base reaches the live run's tree; a tampered backup is refused", async () => {
    await using dir = await tmpdir();
    const live = join(dir.path, "live");
    const base = join(dir.path, "base");
    await queued(live, 10, 60);
    cpSync(live, base, { recursive: true, filter: (p) => !p.includes(".hyperion") });
    const pristine = join(dir.path, "pristine");
    cpSync(base, pristine, { recursive: true });
    expect((await hyperion(["run", "--repo", live, "--no-watch"])).exitCode).toBe(0);
    const file = join(dir.path, "full.db");
    expect((await hyperion(["backup", file, "--repo", live])).exitCode).toBe(0);

    const partial = join(dir.path, "partial");
    cpSync(base, partial, { recursive: true });
    const upTo = await hyperion([
      "replay",
      "--from",
      file,
      "--onto",
      partial,
      "--until",
      "cr-9",
      "--repo",
      live,
      "--json",
    ]);
    expect(upTo.exitCode).toBe(0);
    // The live run's order up to cr-9: the first change on each file, and whatever a worker
    // applied before cr-9 (a stack is applied whole, so later changes may come first).
    const prefix: string[] = JSON.parse(upTo.stdout).applied;
    expect(prefix.at(-1)).toBe("cr-9");
    expect(prefix).toEqual(expect.arrayContaining(Array.from({ length: 10 }, (_, i) => `cr-${i}`)));
    expect(prefix.length).toBeLessThan(60);

    const r = await hyperion(["replay", "--from", file, "--onto", base, "--repo", live, "--json"]);
    expect(r.exitCode).toBe(0);
    expect(JSON.parse(r.stdout).applied).toHaveLength(60);
    expect(tree(base)).toEqual(tree(live));

    // A payload edited in the backup: its signature no longer verifies, and nothing after it is written.
    const tampered = join(dir.path, "tampered.db");
    cpSync(file, tampered);
    const t = new Database(tampered);
    t.run(
      "UPDATE change_payloads SET payload = replace(payload, 'edit', 'EVIL') WHERE payload_id = (SELECT payload_id FROM change_queue WHERE id = 'cr-5')",
    );
    t.close();
    const refused = await hyperion(["replay", "--from", tampered, "--onto", pristine, "--repo", live]);
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toStartWith("hyperion: E_REPLAY: cr-5: E_SIGNATURE: ");

    // Another repository's key is refused before anything is written.
    const other = join(dir.path, "other");
    await queued(other, 1, 1);
    const before = tree(pristine);
    const foreign = await hyperion(["replay", "--from", file, "--onto", pristine, "--repo", other]);
    expect(foreign.exitCode).toBe(1);
    expect(foreign.stderr).toContain("was signed with key");
    expect(tree(pristine)).toEqual(before);
  });
});
