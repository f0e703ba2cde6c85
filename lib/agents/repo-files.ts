import { readFileSync, statSync } from "node:fs";
import { join, sep } from "node:path";
import { Glob } from "bun";
import { checkPath, realRoot, resolveInRepo } from "../patch/index.ts";

/** Directories an agent is never shown: VCS internals, Hyperion's own state, installed packages. */
const HIDDEN = new Set([".git", ".hyperion", "node_modules"]);

/**
 * The absolute file a repository path names, refused (E_PATH_*) when it could reach outside the
 * repository (absolute, `..`, through a symlink) or into .git/ or .hyperion/, before anything
 * reads it. The same checks lib/patch runs at enqueue and at apply.
 */
export const repoFilePath = (repo: string, path: string): string => {
  checkPath(path);
  const r = resolveInRepo(realRoot(repo), path);
  return join(r.dir, ...r.missing, r.name);
};

/** A file's text, or null when it does not exist. */
export const readRepoFile = (repo: string, path: string): string | null => {
  const abs = repoFilePath(repo, path);
  try {
    return readFileSync(abs, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw e;
  }
};

/** Size in bytes of a file, or 0 when it does not exist or cannot be named safely. */
export const repoFileSize = (repo: string, path: string): number => {
  try {
    return statSync(repoFilePath(repo, path)).size;
  } catch {
    return 0;
  }
};

/** Whether a path names an existing regular file of the repository (false when unsafe). */
export const repoFileExists = (repo: string, path: string): boolean => {
  try {
    return statSync(repoFilePath(repo, path)).isFile();
  } catch {
    return false;
  }
};

/** Every regular file of the repository, sorted, without .git/, .hyperion/ and node_modules/. */
export const listRepoFiles = (repo: string): string[] =>
  [...new Glob("**").scanSync({ cwd: repo, dot: true, onlyFiles: true, followSymlinks: false })]
    .map((p) => p.split(sep).join("/"))
    .filter((p) => !HIDDEN.has(p.split("/")[0]!))
    .sort();

/** Whether a path matches any of the patterns: an exact path, a directory (`src` or `src/`), or a glob. */
export const matchesAny = (path: string, patterns: readonly string[]): boolean =>
  patterns.some((p) => {
    const dir = p.endsWith("/") ? p : `${p}/`;
    return p === path || path.startsWith(dir) || new Glob(p).match(path);
  });
