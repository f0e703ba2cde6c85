import { Database } from "bun:sqlite";
import { existsSync, renameSync, rmSync, statSync } from "node:fs";
import { z } from "zod";
import { envError, usageError } from "../errors.ts";

/** What a backup records about itself, in its own table: never the key, only its fingerprint. */
export const BackupMeta = z.object({
  /** sha256 of the signing key, shortened: names the key that verifies the backup's payloads. */
  key_fingerprint: z.string(),
  taken_at: z.number(),
  source: z.string(),
  /** The schema version of the database it copies. */
  schema_version: z.number(),
  /** Changes applied when it was taken (for a quick look; the rows are the truth). */
  applied: z.number(),
});
export type BackupMeta = z.infer<typeof BackupMeta>;

const META_TABLE = "hyperion_backup";

/** A key's fingerprint: enough to tell two keys apart, nothing to sign with. */
export const keyFingerprint = (secret: Uint8Array): string =>
  new Bun.CryptoHasher("sha256")
    .update("hyperion key fingerprint\n")
    .update(secret)
    .digest("hex")
    .slice(0, 16);

/**
 * A consistent copy of a live database: `VACUUM INTO` reads one snapshot (workers keep writing
 * to the WAL meanwhile), the copy records what it is, passes `integrity_check`, and only then
 * takes its final name. Refuses to overwrite a file.
 */
export const backupDatabase = (
  db: Database,
  dest: string,
  facts: { secret: Uint8Array; source: string },
): BackupMeta => {
  if (existsSync(dest)) {
    throw usageError("E_BACKUP_EXISTS", `${dest} exists`, "name a new file, or use --to-dir");
  }
  const partial = `${dest}.partial-${process.pid}`;
  rmSync(partial, { force: true });
  try {
    db.query("VACUUM INTO ?").run(partial);
  } catch (cause) {
    rmSync(partial, { force: true });
    throw envError("E_BACKUP", `cannot write ${dest}: ${String(cause)}`, "check the folder and free space");
  }
  const copy = new Database(partial, { strict: true });
  try {
    const meta: BackupMeta = {
      key_fingerprint: keyFingerprint(facts.secret),
      taken_at: Date.now(),
      source: facts.source,
      schema_version: copy.query<{ user_version: number }, []>("PRAGMA user_version").get()!.user_version,
      applied: copy
        .query<{ n: number }, []>("SELECT count(*) AS n FROM change_queue WHERE status = 'applied'")
        .get()!.n,
    };
    copy.run(`CREATE TABLE ${META_TABLE} (key TEXT PRIMARY KEY, value TEXT NOT NULL)`);
    const put = copy.query(`INSERT INTO ${META_TABLE} (key, value) VALUES (?, ?)`);
    for (const [k, v] of Object.entries(meta)) put.run(k, JSON.stringify(v));
    const check = copy.query<{ integrity_check: string }, []>("PRAGMA integrity_check").all();
    if (check.length !== 1 || check[0]!.integrity_check !== "ok") {
      throw envError("E_BACKUP", `the copy in ${dest} fails integrity_check`, "take the backup again");
    }
    copy.close();
    renameSync(partial, dest);
    return meta;
  } catch (e) {
    copy.close();
    rmSync(partial, { force: true });
    throw e;
  }
};

/** Opens a backup read-only and reads what it records; a file that is not one is refused. */
export const openBackup = (file: string): { db: Database; meta: BackupMeta } => {
  if (!existsSync(file) || !statSync(file).isFile()) {
    throw usageError("E_BACKUP_INVALID", `${file} is not a file`, "pass a file written by `hyperion backup`");
  }
  let db: Database | undefined;
  try {
    db = new Database(file, { readonly: true, strict: true });
    const rows = db.query<{ key: string; value: string }, []>(`SELECT key, value FROM ${META_TABLE}`).all();
    const meta = BackupMeta.parse(Object.fromEntries(rows.map((r) => [r.key, JSON.parse(r.value)])));
    return { db, meta };
  } catch (cause) {
    db?.close();
    throw usageError(
      "E_BACKUP_INVALID",
      `${file} is not a Hyperion backup: ${cause instanceof Error ? cause.message.split("\n")[0] : String(cause)}`,
      "pass a file written by `hyperion backup`",
    );
  }
};
