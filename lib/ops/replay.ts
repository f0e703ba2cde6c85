import type { Database } from "bun:sqlite";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { z } from "zod";
import { envError, HyperionError, usageError } from "../errors.ts";
import { applyChange, sha256Hex } from "../patch/index.ts";
import type { Config } from "../schema/index.ts";
import { keyFingerprint, openBackup } from "../store/backup.ts";
import { repositoryId } from "../store/identity.ts";
import { openDatabase } from "../store/index.ts";

/** What a replay did: the changes it applied, in order, each checked against the live run's record. */
export const ReplayResult = z.object({
  backup: z.string(),
  onto: z.string(),
  applied: z.array(z.string()),
  /** The change --until named, when the replay stopped there. */
  until: z.string().nullable(),
});
export type ReplayResult = z.infer<typeof ReplayResult>;

const Row = z.object({
  id: z.string(),
  payload: z.string(),
  signature: z.string(),
  request_id: z.string().nullable(),
});
const Mod = z.object({ path: z.string(), sha256_after: z.string().nullable() });

/** The applied changes a backup records, in the order the live run wrote them. */
const appliedInOrder = (db: Database) =>
  db
    .query<Record<string, unknown>, []>(
      `SELECT c.id, p.payload, p.signature, c.request_id
       FROM change_queue c
       JOIN change_payloads p ON p.payload_id = c.payload_id
       JOIN (SELECT change_id, min(id) AS first FROM file_modifications WHERE source = 'apply' GROUP BY change_id) f
         ON f.change_id = c.id
       WHERE c.status = 'applied'
       ORDER BY f.first`,
    )
    .all()
    .map((r) => Row.parse(r));

/**
 * `hyperion replay`: re-applies the applied changes of a backup, in their original order, onto
 * a checkout of their base. Each payload's signature is verified with the operator's key and
 * each file's base hash by the same apply path the queue uses; after each change the files must
 * hold what the live run wrote (its audit's after-hashes), or the replay stops with E_REPLAY.
 */
export const replayBackup = (opts: {
  backup: string;
  onto: string;
  secret: Uint8Array;
  limits: Config["limits"];
  request?: string;
  until?: string;
}): ReplayResult => {
  const onto = resolve(opts.onto);
  if (!existsSync(onto) || !statSync(onto).isDirectory()) {
    throw usageError(
      "E_USAGE",
      `--onto ${opts.onto} is not a directory`,
      "check out the base of the history first",
    );
  }
  const { db: backup, meta } = openBackup(opts.backup);
  const scratch = mkdtempSync(join(tmpdir(), "hyperion-replay-"));
  try {
    if (keyFingerprint(opts.secret) !== meta.key_fingerprint) {
      throw envError(
        "E_REPLAY",
        `${opts.backup} was signed with key ${meta.key_fingerprint}, not this repository's key ${keyFingerprint(opts.secret)}`,
        "replay with --repo naming the repository the backup was taken from",
      );
    }
    const rows = appliedInOrder(backup).filter(
      (r) => opts.request === undefined || r.request_id === opts.request,
    );
    if (opts.until !== undefined && !rows.some((r) => r.id === opts.until)) {
      throw usageError(
        "E_NOT_FOUND",
        `no applied change '${opts.until}' in ${opts.backup}`,
        "see `hyperion list`",
      );
    }
    const mods = backup.query<Record<string, unknown>, [string]>(
      "SELECT path, sha256_after FROM file_modifications WHERE change_id = ? AND source = 'apply' ORDER BY id",
    );
    // The replay's own journal: the target is a plain checkout, so nothing is written into it but files.
    const journal = openDatabase(join(scratch, "replay.db"), { create: true });
    // Signatures name the repository they were made for: the journal stands in for the backup's.
    journal.query("UPDATE repository SET id = ? WHERE one = 1").run(repositoryId(backup));
    const applied: string[] = [];
    try {
      for (const row of rows) {
        try {
          applyChange({ repo: onto, db: journal, secret: opts.secret, change: row, limits: opts.limits });
        } catch (e) {
          if (!(e instanceof HyperionError)) throw e;
          throw envError(
            "E_REPLAY",
            `${row.id}: ${e.code}: ${e.message}`,
            "the tree is as the changes before it left it",
            {
              change_id: row.id,
              cause: e.code,
            },
          );
        }
        for (const m of mods.all(row.id).map((r) => Mod.parse(r))) {
          const file = join(onto, m.path);
          const found = existsSync(file) ? sha256Hex(readFileSync(file)) : null;
          if (found !== m.sha256_after) {
            throw envError(
              "E_REPLAY",
              `${row.id}: ${m.path} holds ${found ?? "nothing"}, the live run wrote ${m.sha256_after ?? "nothing"}`,
              "the checkout is not the base the live run started from",
              { change_id: row.id, path: m.path },
            );
          }
        }
        applied.push(row.id);
        if (row.id === opts.until) break;
      }
    } finally {
      journal.close();
    }
    return { backup: resolve(opts.backup), onto, applied, until: opts.until ?? null };
  } finally {
    backup.close();
    rmSync(scratch, { recursive: true, force: true });
  }
};
