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
  const r = gitRaw(repo, args);
  return { ok: r.ok, stdout: r.stdout.toString().trim(), stderr: r.stderr.toString().trim() };
};

const gitRaw = (repo: string, args: string[]) => {
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
  return { ok: r.exitCode === 0, stdout: r.stdout, stderr: r.stderr };
};

/** Tracked files with their index blob ids, and those whose working copy differs from the index. */
export const trackedFiles = (repo: string): { blobs: Map<string, string>; dirty: Set<string> } => {
  const blobs = new Map<string, string>();
  const dirty = new Set<string>();
  const ls = gitRaw(repo, ["ls-files", "-s", "-z"]);
  if (!ls.ok) return { blobs, dirty };
  for (const rec of ls.stdout.toString().split("\0")) {
    // "<mode> <blob> <stage>\t<path>"; links and submodules are not files a command edits.
    const m = /^(\d+) ([0-9a-f]+) \d\t(.*)$/s.exec(rec);
    if (m && (m[1] === "100644" || m[1] === "100755")) blobs.set(m[3]!, m[2]!);
  }
  const diff = gitRaw(repo, ["diff", "--name-only", "-z"]);
  if (diff.ok) for (const p of diff.stdout.toString().split("\0")) if (p) dirty.add(p);
  return { blobs, dirty };
};

/** A blob's content from the object store, or null. */
export const readBlob = (repo: string, id: string): Buffer | null => {
  const r = gitRaw(repo, ["cat-file", "blob", id]);
  return r.ok ? Buffer.from(r.stdout) : null;
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
