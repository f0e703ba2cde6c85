import { join } from "node:path";
import type { ChangeRequest } from "../lib/schema/index.ts";

/** Runs git in `repo` (no hooks, no prompts) and returns its stdout; throws on failure. */
export const git = (repo: string, args: string[]): string => {
  const r = Bun.spawnSync(["git", "-c", "core.hooksPath=/dev/null", "-c", "core.quotePath=false", ...args], {
    cwd: repo,
    env: { ...process.env, GIT_TERMINAL_PROMPT: "0" },
    stdout: "pipe",
    stderr: "pipe",
  });
  if (r.exitCode !== 0) throw new Error(`git ${args.join(" ")}: ${r.stderr.toString()}`);
  return r.stdout.toString();
};

const sha = (repo: string, commit: string, path: string): string =>
  Bun.SHA256.hash(
    Bun.spawnSync(["git", "show", `${commit}:${path}`], { cwd: repo, stdout: "pipe" }).stdout,
    "hex",
  );

/**
 * A repository's first-parent history from `base` as change requests, one per commit, each file
 * as git's own patch (git's dialect: renames, creations, deletions, `\ No newline`), with the
 * hashes of the file before and after. What `git apply` would take, as Hyperion's wire contract.
 */
export const historyAsChanges = (repo: string, base: string, head = "HEAD"): ChangeRequest[] => {
  const commits = git(repo, ["rev-list", "--first-parent", "--reverse", `${base}..${head}`])
    .trim()
    .split("\n");
  const crs = commits.filter(Boolean).map((commit, n) => {
    const parent = `${commit}^`;
    const rows = git(repo, ["diff", "--name-status", "-M", "-z", parent, commit]).split("\0").filter(Boolean);
    const changes: ChangeRequest["changes"] = [];
    for (let i = 0; i < rows.length; ) {
      const status = rows[i++]!;
      const path = rows[i++]!;
      const patchOf = (...paths: string[]) =>
        git(repo, ["diff", "-M", "--full-index", parent, commit, "--", ...paths]);
      if (status.startsWith("R")) {
        const to = rows[i++]!;
        changes.push({
          path,
          operation: "rename",
          new_path: to,
          base_sha256: sha(repo, parent, path),
          ...(status === "R100" ? {} : { patch: patchOf(path, to), new_sha256: sha(repo, commit, to) }),
        });
      } else if (status === "A") {
        changes.push({
          path,
          operation: "create",
          patch: patchOf(path),
          new_sha256: sha(repo, commit, path),
        });
      } else if (status === "D") {
        changes.push({ path, operation: "delete", base_sha256: sha(repo, parent, path) });
      } else {
        changes.push({
          path,
          operation: "modify",
          patch: patchOf(path),
          base_sha256: sha(repo, parent, path),
          new_sha256: sha(repo, commit, path),
        });
      }
    }
    return { id: `h-${String(n).padStart(4, "0")}`, task_id: `commit-${commit.slice(0, 12)}`, changes };
  });
  // A commit that changes no file's content (empty, or a mode alone) has nothing to enqueue.
  return crs.filter((cr) => cr.changes.length > 0);
};

/** Every file of a tree (not .git, not .hyperion), with its content. */
export const treeOf = async (dir: string): Promise<Record<string, string>> => {
  const out: Record<string, string> = {};
  for await (const f of new Bun.Glob("**/*").scan({ cwd: dir, dot: true })) {
    if (/^(\.git|\.hyperion)(\/|$)/.test(f)) continue;
    out[f] = await Bun.file(join(dir, f)).text();
  }
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)));
};
