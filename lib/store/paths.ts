import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { repoStateDir } from "./state-dir.ts";

/** Where one repository's Hyperion state lives. */
export type Locations = {
  repo: string;
  /** `<repo>/.hyperion` */
  dir: string;
  db: string;
  /** The signing key: in the repository's state directory, outside its tree (lib/store/state-dir.ts). */
  secret: string;
  /** Where versions before that kept the key (`<repo>/.hyperion/secret`); moved from on first use. */
  legacySecret: string;
  config: string;
  archive: string;
};

export type LocateOptions = { repo?: string; db?: string; env?: Record<string, string | undefined> };

/** The nearest directory at or above `from` that holds `.hyperion/`, as git finds `.git`; null when none does. */
export const findRepo = (from: string): string | null => {
  for (let dir = resolve(from); ; dir = dirname(dir)) {
    if (existsSync(join(dir, ".hyperion"))) return dir;
    if (dirname(dir) === dir) return null;
  }
};

/**
 * `--db` beats `HYPERION_DB` beats `<repo>/.hyperion/hyperion.db`. The repo is `--repo`, else
 * found upward from the working directory, else the working directory itself.
 */
export const locate = (opts: LocateOptions = {}): Locations => {
  const env = opts.env ?? process.env;
  const repo = resolve(opts.repo ?? findRepo(".") ?? ".");
  const dir = join(repo, ".hyperion");
  const dbOverride = opts.db ?? env.HYPERION_DB;
  return {
    repo,
    dir,
    db: dbOverride ? resolve(dbOverride) : join(dir, "hyperion.db"),
    secret: join(repoStateDir(repo, env), "secret"),
    legacySecret: join(dir, "secret"),
    config: join(dir, "config.json"),
    archive: join(dir, "archive"),
  };
};
