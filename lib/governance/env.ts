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

/** PATH without relative entries or entries inside the repository, which an agent's change could plant. */
export const safePath = (path: string | undefined, repo: string): string =>
  (path ?? "/usr/local/bin:/usr/bin:/bin")
    .split(":")
    .filter((dir) => {
      if (!dir || !isAbsolute(dir)) return false;
      const rel = relative(resolve(repo), resolve(dir));
      return rel.startsWith("..") || isAbsolute(rel);
    })
    .join(":");

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
