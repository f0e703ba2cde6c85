import { existsSync } from "node:fs";
import { join } from "node:path";
import { envError } from "../errors.ts";
import { safePath } from "./env.ts";

export const isGitRepo = (repo: string): boolean => existsSync(join(repo, ".git"));

/**
 * Settings on every git call: no hooks (a repository's hooks are code an agent could have
 * written), no fsmonitor command, and no bare repository found by walking into a directory (a
 * nested bare repository's config could name either).
 */
export const GIT_SAFETY = [
  "-c",
  "core.hooksPath=/dev/null",
  "-c",
  "core.fsmonitor=false",
  "-c",
  "safe.bareRepository=explicit",
  "-c",
  "commit.gpgSign=false",
] as const;

/** Hyperion's own git calls: GIT_SAFETY, no inherited GIT_* variables, no pager, no prompts. */
const git = (repo: string, args: string[]) => {
  const r = Bun.spawnSync(["git", ...GIT_SAFETY, ...args], {
    cwd: repo,
    env: {
      PATH: safePath(process.env.PATH, repo),
      HOME: process.env.HOME ?? "/",
      LANG: process.env.LANG ?? "C",
      GIT_TERMINAL_PROMPT: "0",
    },
    stdout: "pipe",
    stderr: "pipe",
  });
  return { ok: r.exitCode === 0, stdout: r.stdout.toString().trim(), stderr: r.stderr.toString().trim() };
};

/** A fallback identity when the repository's git config has none. */
const identity = (repo: string): string[] =>
  git(repo, ["config", "user.email"]).ok
    ? []
    : ["-c", "user.name=Hyperion", "-c", "user.email=hyperion@localhost"];

export type Trailers = { task: string; change: string };

/**
 * Commits exactly these paths (other staged work of the operator stays staged) with
 * `Hyperion-Task:` and `Hyperion-Change:` trailers. Returns the commit's sha, or null when the
 * paths hold nothing new.
 */
export const commitPaths = (
  repo: string,
  paths: string[],
  subject: string,
  trailers: Trailers,
  body = "",
): string | null => {
  const add = git(repo, ["add", "-A", "--", ...paths]);
  if (!add.ok)
    throw envError("E_GIT", `git add failed: ${add.stderr}`, "check the repository with `git status`");
  if (git(repo, ["diff", "--cached", "--quiet", "--", ...paths]).ok) return null;
  const message = `${subject}\n\n${body ? `${body}\n\n` : ""}Hyperion-Task: ${trailers.task}\nHyperion-Change: ${trailers.change}\n`;
  const commit = git(repo, [...identity(repo), "commit", "--no-verify", "-q", "-m", message, "--", ...paths]);
  if (!commit.ok)
    throw envError("E_GIT", `git commit failed: ${commit.stderr}`, "check the repository with `git status`");
  return git(repo, ["rev-parse", "HEAD"]).stdout;
};
