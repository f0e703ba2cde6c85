import { realpathSync } from "node:fs";
import { isAbsolute, relative, resolve } from "node:path";

/** Variables that change what a program executes or leak the operator's credentials: never passed. */
const NEVER = [
  /^NODE_OPTIONS$/,
  /^NODE_PATH$/,
  /^LD_/,
  /^DYLD_/,
  /^BUN_/,
  /^GIT_CONFIG/,
  /^GIT_EXEC_PATH$/,
  /^BASH_ENV$/,
  /^ENV$/,
  /^PYTHON(PATH|STARTUP)$/,
  /^PERL5(LIB|OPT)$/,
  /^RUBYOPT$/,
  /TOKEN/i,
  /SECRET/i,
  /PASSWORD/i,
  /API_?KEY/i,
  /^AWS_/,
];

export const isForbiddenVar = (name: string): boolean => NEVER.some((re) => re.test(name));

/** A path with every symlink resolved; null when it does not exist (yet). */
export const realOrNull = (path: string): string | null => {
  try {
    return realpathSync(path);
  } catch {
    return null;
  }
};

/** True when `path` is `dir` or below it, compared as given. */
export const isWithin = (dir: string, path: string): boolean => {
  const rel = relative(dir, path);
  return rel === "" || (!rel.startsWith("..") && !isAbsolute(rel));
};

/**
 * PATH without relative entries, entries that do not exist, and entries inside the repository,
 * which an agent's change could plant. Compared with symlinks resolved on both sides, so a
 * repository entered through a symlinked path (or a PATH entry that is a link into it) does
 * not slip through.
 */
export const safePath = (path: string | undefined, repo: string): string => {
  const roots = [resolve(repo), realOrNull(repo)].filter((r): r is string => r !== null);
  return (path ?? "/usr/local/bin:/usr/bin:/bin")
    .split(":")
    .filter((dir) => {
      if (!dir || !isAbsolute(dir)) return false;
      const real = realOrNull(dir);
      if (real === null) return false;
      return !roots.some((root) => isWithin(root, resolve(dir)) || isWithin(root, real));
    })
    .join(":");
};

/** PATH, HOME, LANG and what the operator's config names; nothing else of the operator's environment. */
export const scrubbedEnv = (
  repo: string,
  passthrough: readonly string[],
  source: Record<string, string | undefined> = process.env,
): Record<string, string> => {
  const env: Record<string, string> = { PATH: safePath(source.PATH, repo) };
  for (const name of ["HOME", "LANG", ...passthrough]) {
    const value = source[name];
    if (value !== undefined && !isForbiddenVar(name) && name !== "PATH") env[name] = value;
  }
  return env;
};
