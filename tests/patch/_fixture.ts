import type { Database } from "bun:sqlite";
import { randomBytes } from "node:crypto";
import {
  chmodSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  writeFileSync,
} from "node:fs";
import { dirname, join } from "node:path";
import { type ApplyManyContext, applyChanges, signPayload } from "../../lib/patch/index.ts";
import { type ChangeRequest, defaultConfig } from "../../lib/schema/index.ts";
import { openDatabase, repositoryId } from "../../lib/store/index.ts";
import { tmpdir } from "../_helpers.ts";

export const limits = defaultConfig().limits;

/**
 * A repository in a temp dir with a real Hyperion database beside it (outside the tree), and its
 * `.hyperion/` directory, as every repository Hyperion works in has.
 */
export const fixture = async () => {
  const dir = await tmpdir("hyperion-patch-");
  const repo = join(dir.path, "repo");
  mkdirSync(join(repo, ".hyperion"), { recursive: true });
  const dbPath = join(dir.path, "hyperion.db");
  const db = openDatabase(dbPath, { create: true });
  const secret = randomBytes(32);
  let n = 0;
  return {
    repo,
    dbPath,
    db,
    secret,
    root: dir.path,
    /** Writes files (string content, or [content, mode]). */
    write(files: Record<string, string | [string, number]>) {
      for (const [p, v] of Object.entries(files)) {
        const [content, mode] = typeof v === "string" ? [v, 0o644] : v;
        mkdirSync(dirname(join(repo, p)), { recursive: true });
        writeFileSync(join(repo, p), content);
        chmodSync(join(repo, p), mode);
      }
    },
    read: (p: string) => readFileSync(join(repo, p), "utf8"),
    /** A queue row for a change request: payload with its id, signed with the secret. */
    signed(cr: Omit<ChangeRequest, "id"> & { id?: string }) {
      const id = cr.id ?? `cr-${++n}`;
      const payload = JSON.stringify({ ...cr, id });
      return { id, payload, signature: signPayload(secret, { repository: repositoryId(db), id, payload }) };
    },
    /** applyChanges on this tree, store and key; `more` adds options (hooks, limits, spares). */
    applyAll: (
      changes: ApplyManyContext["changes"],
      more: Omit<ApplyManyContext, "repo" | "db" | "secret" | "changes"> = {},
    ) => applyChanges({ repo, db, secret, changes, ...more }),
    async [Symbol.asyncDispose]() {
      db.close();
      await dir[Symbol.asyncDispose]();
    },
  };
};
export type Fixture = Awaited<ReturnType<typeof fixture>>;

/**
 * Every entry under a directory: type, mode and content (or link target), for exact comparison.
 * The database's -shm file is skipped: readers update its read marks; it holds no data. So is an
 * empty `.hyperion/spares/`, made by the first apply that keeps an inode (a spare left in it shows).
 */
export const snapshotTree = (root: string): Record<string, string> => {
  const out: Record<string, string> = {};
  const walk = (rel: string) => {
    for (const name of readdirSync(join(root, rel)).sort()) {
      if (name.endsWith("-shm")) continue;
      const p = rel ? `${rel}/${name}` : name;
      if (name === "spares" && rel.endsWith(".hyperion") && readdirSync(join(root, p)).length === 0) continue;
      const st = lstatSync(join(root, p));
      const mode = (Number(st.mode) & 0o7777).toString(8);
      if (st.isSymbolicLink()) out[p] = `link ${readlinkSync(join(root, p))}`;
      else if (st.isDirectory()) {
        out[p] = `dir ${mode}`;
        walk(p);
      } else out[p] = `file ${mode} ${readFileSync(join(root, p)).toString("base64")}`;
    }
  };
  walk("");
  return out;
};

/** The database file and its WAL, byte for byte. */
export const snapshotDb = (dbPath: string): string[] =>
  ["", "-wal"].map((s) => {
    try {
      return readFileSync(dbPath + s).toString("base64");
    } catch {
      return "";
    }
  });

/** Every row of the apply tables, for readable comparisons. */
export const rows = (db: Database) => ({
  journal: db
    .query<{ change_id: string; kind: string; state: string }, []>(
      "SELECT change_id, kind, state FROM apply_journal ORDER BY id",
    )
    .all(),
  pre: db
    .query<{ change_id: string; path: string; existed: number }, []>(
      "SELECT change_id, path, existed FROM pre_images ORDER BY id",
    )
    .all(),
  mods: db
    .query<{ change_id: string; path: string; kind: string; source: string }, []>(
      "SELECT change_id, path, kind, source FROM file_modifications ORDER BY id",
    )
    .all(),
});

/** The HyperionError a call throws (fails the test when it throws nothing or something else). */

export { thrown } from "../_helpers.ts";
