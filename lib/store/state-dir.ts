import { createHash } from "node:crypto";
import { realpathSync } from "node:fs";
import { basename, isAbsolute, join, relative, resolve } from "node:path";
import { usageError } from "../errors.ts";

/** True when `inner` is `outer` or lies under it. */
export const isWithin = (inner: string, outer: string): boolean => {
  const rel = relative(outer, inner);
  return rel === "" || (!rel.startsWith("..") && !isAbsolute(rel));
};

/** A path with its symlinks resolved, or as given (absolute) when it does not exist yet. */
export const realOrResolved = (p: string): string => {
  try {
    return realpathSync(p);
  } catch {
    return resolve(p);
  }
};

/**
 * One repository's private state outside its tree: `$XDG_STATE_HOME/hyperion/<name>-<hash>`
 * (default `~/.local/state`), keyed by the repository's real path. Agents' homes and scratch
 * workspaces live here, so nothing an agent runs can find the live repository by walking up.
 * Refused when that directory would sit inside the repository (a home directory that is itself
 * the repository, or XDG_STATE_HOME pointing into it).
 */
export const repoStateDir = (repo: string, env: Record<string, string | undefined> = process.env): string => {
  const root = realOrResolved(repo);
  const base = env.XDG_STATE_HOME || (env.HOME ? join(env.HOME, ".local", "state") : "");
  if (!base || !isAbsolute(base)) {
    throw usageError(
      "E_STATE_DIR",
      "no state directory: neither XDG_STATE_HOME nor HOME is set to an absolute path",
      "set XDG_STATE_HOME (or HOME) to a directory outside the repository",
    );
  }
  const dir = join(
    base,
    "hyperion",
    `${basename(root)}-${createHash("sha256").update(root).digest("hex").slice(0, 16)}`,
  );
  if (isWithin(realOrResolved(base), root) || isWithin(dir, root)) {
    throw usageError(
      "E_STATE_DIR",
      `the state directory ${dir} would sit inside the repository ${root}`,
      "set XDG_STATE_HOME to a directory outside the repository",
    );
  }
  return dir;
};
