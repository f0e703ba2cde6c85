import { existsSync, lstatSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { HyperionError } from "../../errors.ts";

/** Path -> identity of what is there now (inode, size, mtime in ns, mode); a changed file changes it. */
export type TreeState = Map<string, string>;

/** Hyperion's own file an agent must not change either (its config); the rest of .hyperion/ is the queue's. */
const OWN = [".hyperion/config.json"];
/** Never walked without git to tell what is ignored: VCS internals, Hyperion's state, installed packages. */
const SKIP = new Set([".git", ".hyperion", "node_modules"]);

const identity = (abs: string): string | null => {
  try {
    const s = lstatSync(abs, { bigint: true });
    return `${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}:${s.mode}`;
  } catch {
    return null;
  }
};

/** Tracked and untracked-but-not-ignored files, from git itself (no hooks, no fsmonitor). */
const gitFiles = (repo: string): string[] | null => {
  const r = Bun.spawnSync(
    [
      "git",
      "-c",
      "core.hooksPath=/dev/null",
      "-c",
      "core.fsmonitor=false",
      "ls-files",
      "-z",
      "--cached",
      "--others",
      "--exclude-standard",
    ],
    {
      cwd: repo,
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", GIT_TERMINAL_PROMPT: "0" },
      stderr: "pipe",
    },
  );
  if (r.exitCode !== 0) return null;
  return r.stdout.toString().split("\0").filter(Boolean);
};

const walkFiles = (repo: string, skip: ReadonlySet<string> = SKIP): string[] => {
  const out: string[] = [];
  const walk = (dir: string, rel: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const path = rel ? `${rel}/${e.name}` : e.name;
      if (!rel && skip.has(e.name)) continue;
      if (e.isDirectory()) walk(join(dir, e.name), path);
      else out.push(path);
    }
  };
  walk(repo, "");
  return out;
};

/**
 * The live tree's state: with git, its tracked and untracked-not-ignored files; without, every
 * file but .git/, .hyperion/ and node_modules/. Plus Hyperion's config. Recorded before
 * and compared after every agent turn, whatever sandbox ran it.
 */
export const treeState = (repo: string): TreeState => {
  // .hyperion/ is the queue's (its database changes while agents run), whether git ignores it or not.
  const files = ((existsSync(join(repo, ".git")) && gitFiles(repo)) || walkFiles(repo)).filter(
    (p) => !p.startsWith(".hyperion/"),
  );
  const state: TreeState = new Map();
  for (const path of [...files, ...OWN]) {
    const id = identity(join(repo, path));
    if (id !== null) state.set(path, id);
  }
  return state;
};

/** Paths created, changed or removed between two states, sorted. */
export const treeChanges = (before: TreeState, after: TreeState): string[] => {
  const changed = new Set<string>();
  for (const [p, id] of after) if (before.get(p) !== id) changed.add(p);
  for (const p of before.keys()) if (!after.has(p)) changed.add(p);
  return [...changed].sort();
};

/** Every file under a decoy directory, relative to it (what an agent wrote where it thought the repository was). */
export const decoyWrites = (dir: string): string[] => {
  try {
    return walkFiles(dir, new Set()).sort();
  } catch {
    return [];
  }
};

/**
 * The live tree changed while an agent ran: no agent may write it (only the queue does), so the
 * request fails, nothing of it is enqueued, and the files stay for a person to judge.
 */
export const outOfBandWrite = (agent: string, paths: readonly string[], blocked = false): HyperionError => {
  const list = `${paths.slice(0, 20).join(", ")}${paths.length > 20 ? `, and ${paths.length - 20} more` : ""}`;
  return new HyperionError(
    "E_AGENT_OUT_OF_BAND_WRITE",
    blocked
      ? `${agent} tried to write the live tree by its path, which no agent may do (the sandbox kept it out): ${list}`
      : `the live tree changed while ${agent} ran, which no agent may do: ${list}`,
    {
      exitCode: 1,
      hint: blocked
        ? "nothing of this request was enqueued and the tree is untouched; treat the agent (or what it read) as hostile"
        : "nothing of this request was enqueued; inspect those files (git status / git diff) and restore what you did not write",
      details: { paths, blocked },
    },
  );
};
