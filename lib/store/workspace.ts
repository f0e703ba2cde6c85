import type { Database } from "bun:sqlite";
import { randomBytes } from "node:crypto";
import {
  accessSync,
  constants,
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { dirname, join, resolve } from "node:path";
import { envError, usageError } from "../errors.ts";
import { Config, defaultConfig } from "../schema/index.ts";
import { openDatabase } from "./open.ts";
import { findRepo, type LocateOptions, type Locations, locate } from "./paths.ts";
import { setBusyGiveUp } from "./write-tx.ts";

/** Checks a `--repo` before anything is created in it. */
export const checkRepo = (repo: string): void => {
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(repo);
  } catch {
    throw usageError(
      "E_REPO_NOT_FOUND",
      `repository directory ${repo} does not exist`,
      "pass an existing directory to --repo",
    );
  }
  if (!st.isDirectory()) {
    throw usageError(
      "E_REPO_NOT_DIR",
      `${repo} is not a directory`,
      "pass the repository's root directory to --repo",
    );
  }
  try {
    accessSync(repo, constants.W_OK);
  } catch {
    throw envError(
      "E_REPO_UNWRITABLE",
      `repository directory ${repo} is not writable`,
      "fix its permissions or choose another --repo",
    );
  }
};

export type InitResult = {
  repo: string;
  db: string;
  created: string[];
  existing: string[];
  gitignore: boolean;
};

/** Creates `.hyperion/` (database, signing secret, default config); running it again changes nothing. */
export const initRepo = (opts: LocateOptions): InitResult => {
  // Never a second .hyperion/ below an initialised repository: commands there find the outer one.
  const target = resolve(opts.repo ?? ".");
  const outer = findRepo(dirname(target));
  if (outer !== null && !existsSync(join(target, ".hyperion"))) {
    throw usageError(
      "E_INIT_NESTED",
      `${target} is inside the repository ${outer}, which is initialised already`,
      `run commands from anywhere inside it, or pass --repo ${outer}; nothing was created`,
    );
  }
  const loc = locate({ ...opts, repo: target });
  checkRepo(loc.repo);
  // A broken config or database is reported before anything is written.
  if (existsSync(loc.config)) loadConfig(loc);
  if (existsSync(loc.db)) openDatabase(loc.db).close();
  const created: string[] = [];
  const existing: string[] = [];
  const note = (path: string, made: boolean) => (made ? created : existing).push(path);

  try {
    note(loc.dir, !existsSync(loc.dir));
    mkdirSync(loc.dir, { recursive: true, mode: 0o700 });
  } catch (cause) {
    throw envError(
      "E_REPO_UNWRITABLE",
      `cannot create ${loc.dir}: ${String(cause)}`,
      "fix the permissions of --repo",
    );
  }
  const dbExisted = existsSync(loc.db);
  openDatabase(loc.db, { create: true }).close();
  note(loc.db, !dbExisted);

  moveLegacySecret(loc);
  mkdirSync(dirname(loc.secret), { recursive: true, mode: 0o700 });
  note(loc.secret, writeIfMissing(loc.secret, `${randomBytes(32).toString("hex")}\n`, 0o600));
  note(loc.config, writeIfMissing(loc.config, `${JSON.stringify(defaultConfig(), null, 2)}\n`, 0o644));
  const gitignore = ensureGitignore(loc.repo);
  return { repo: loc.repo, db: loc.db, created, existing, gitignore };
};

const writeIfMissing = (path: string, content: string, mode: number): boolean => {
  try {
    writeFileSync(path, content, { mode, flag: "wx" });
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw envError("E_IO", `cannot write ${path}: ${String(e)}`);
  }
};

/** Adds `.hyperion/` to .gitignore when the repo is a git repository; true when it is ignored now. */
const ensureGitignore = (repo: string): boolean => {
  if (!existsSync(join(repo, ".git"))) return false;
  const path = join(repo, ".gitignore");
  const current = existsSync(path) ? readFileSync(path, "utf8") : "";
  const lines = current.split(/\r?\n/).map((l) => l.trim());
  if (lines.some((l) => l === ".hyperion/" || l === ".hyperion" || l === "/.hyperion/" || l === "/.hyperion"))
    return true;
  const sep = current === "" || current.endsWith("\n") ? "" : "\n";
  writeFileSync(path, `${current}${sep}.hyperion/\n`);
  return true;
};

/** The operator's config, validated; defaults when the file is absent. */
export const loadConfig = (loc: Locations): Config => {
  if (!existsSync(loc.config)) return defaultConfig();
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(loc.config, "utf8"));
  } catch (e) {
    throw usageError(
      "E_CONFIG",
      `${loc.config} is not valid JSON: ${(e as Error).message}`,
      "fix the file or delete it to get the defaults",
    );
  }
  const parsed = Config.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const at = issue?.path.join(".") || "(root)";
    throw usageError("E_CONFIG", `${loc.config}: ${at}: ${issue?.message}`, "see docs/SCHEMAS.md#config");
  }
  return parsed.data;
};

/**
 * A key an earlier version kept inside the repository (`.hyperion/secret`, where every copy of
 * the tree and every agent could find it) moves to the state directory, once, mode 0600.
 */
const moveLegacySecret = (loc: Locations): void => {
  if (existsSync(loc.secret) || !existsSync(loc.legacySecret)) return;
  mkdirSync(dirname(loc.secret), { recursive: true, mode: 0o700 });
  // Its mode comes along: a key others could read stays refused (E_SECRET_UNSAFE) until a person looks.
  const mode = Number(statSync(loc.legacySecret).mode) & 0o777;
  writeIfMissing(loc.secret, readFileSync(loc.legacySecret, "utf8"), mode);
  rmSync(loc.legacySecret, { force: true });
};

/** The key that signs queued payloads; refused when others can read it. */
export const readSecret = (loc: Locations): Buffer => {
  moveLegacySecret(loc);
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(loc.secret);
  } catch {
    throw usageError("E_NOT_INITIALIZED", `no signing secret at ${loc.secret}`, "run `hyperion init`");
  }
  if ((Number(st.mode) & 0o077) !== 0) {
    throw envError(
      "E_SECRET_UNSAFE",
      `${loc.secret} is readable by others`,
      `run \`chmod 600 ${loc.secret}\``,
    );
  }
  const hex = readFileSync(loc.secret, "utf8").trim();
  if (!/^[0-9a-f]{64,}$/.test(hex)) {
    throw envError(
      "E_SECRET_INVALID",
      `${loc.secret} does not hold a hex key`,
      "delete it and run `hyperion init`",
    );
  }
  return Buffer.from(hex, "hex");
};

export type Repo = { loc: Locations; db: Database; config: Config } & Disposable;

/** An initialised repository: its locations, validated config and an open, migrated database. */
export const openRepo = (opts: LocateOptions): Repo => {
  const loc = locate(opts);
  const config = loadConfig(loc);
  const db = openDatabase(loc.db);
  setBusyGiveUp(db, config.queue.busy_give_up_ms);
  return { loc, db, config, [Symbol.dispose]: () => db.close() };
};
