import { mkdirSync, readdirSync, rmSync, statSync } from "node:fs";
import { isAbsolute, join, resolve } from "node:path";
import { z } from "zod";
import { usageError } from "../errors.ts";
import type { Config } from "../schema/index.ts";
import { BackupMeta, backupDatabase } from "../store/backup.ts";
import { type Repo, readSecret } from "../store/index.ts";
import { type Check, ok, problem } from "./doctor/types.ts";

/** What `hyperion backup` wrote, and which older backups `--to-dir` removed. */
export const BackupResult = BackupMeta.extend({ file: z.string(), removed: z.array(z.string()) });
export type BackupResult = z.infer<typeof BackupResult>;

const NAME = /^hyperion-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d-\d{3}Z\.db$/;

/** A name per backup that sorts by time: hyperion-2026-12-06T23-20-00-123Z.db. */
const backupName = (at: Date) => `hyperion-${at.toISOString().replace(/[:.]/g, "-")}.db`;

/** The backups a folder holds, oldest first. */
const backupsIn = (dir: string): string[] => {
  try {
    return readdirSync(dir)
      .filter((f) => NAME.test(f))
      .sort();
  } catch {
    return [];
  }
};

/** The configured backup folder, relative to the repository unless absolute; null when unset. */
export const backupDir = (repo: string, config: Config): string | null =>
  config.backup.dir === null
    ? null
    : isAbsolute(config.backup.dir)
      ? config.backup.dir
      : join(repo, config.backup.dir);

/**
 * `hyperion backup`: a consistent copy into `file`, or a new file in `toDir` keeping the newest
 * `keep` there. Safe while workers run.
 */
export const takeBackup = (
  repo: Repo,
  target: { file?: string; toDir?: string; keep?: number },
): BackupResult => {
  const dir = target.toDir === undefined ? undefined : resolve(target.toDir);
  if ((target.file === undefined) === (dir === undefined)) {
    throw usageError(
      "E_USAGE",
      "name one backup FILE or one folder with --to-dir (or set backup.dir in config.json)",
      "run `hyperion backup --help`",
    );
  }
  if (dir !== undefined) mkdirSync(dir, { recursive: true });
  const file = dir === undefined ? resolve(target.file!) : join(dir, backupName(new Date()));
  const meta = backupDatabase(repo.db, file, { secret: readSecret(repo.loc), source: repo.loc.db });
  const removed: string[] = [];
  if (dir !== undefined) {
    const all = backupsIn(dir);
    for (const old of all.slice(0, Math.max(0, all.length - (target.keep ?? 7)))) {
      rmSync(join(dir, old), { force: true });
      removed.push(join(dir, old));
    }
  }
  return { ...meta, file, removed };
};

/** doctor: the age of the newest backup in the configured folder. */
export const checkBackups = (repo: string, config: Config, now: number): Check => {
  const dir = backupDir(repo, config);
  if (dir === null) return ok("backup", "no backup.dir configured");
  const newest = backupsIn(dir).at(-1);
  if (!newest) {
    return problem(
      "warn",
      "backup",
      `no backup in ${dir}`,
      "run `hyperion backup` (it writes into backup.dir)",
    );
  }
  const age = now - statSync(join(dir, newest)).mtimeMs;
  const hours = Math.round(age / 360_000) / 10;
  const summary = `newest backup ${join(dir, newest)}, ${hours} h old`;
  return age > config.backup.max_age_ms
    ? problem("warn", "backup", summary, "run `hyperion backup`, and schedule it (cron, a systemd timer)")
    : ok("backup", summary, { file: join(dir, newest), age_ms: Math.round(age) });
};
