import { lstatSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, relative, sep } from "node:path";
import type { DeveloperOutput, ProposedFile } from "../schema/index.ts";
import type { DeveloperInput } from "./harness.ts";

/**
 * The `workspace` mode: a Developer edits a private scratch copy of exactly its task's owned and
 * context files, and Hyperion diffs the copy back into proposed contents. Writes outside the
 * owned paths (context files, new files, symlinks) are discarded and reported, never applied.
 */

/** Writes the task's files (those that exist) into an empty scratch directory. */
export const fillWorkspace = (dir: string, files: DeveloperInput["files"]): void => {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  for (const [path, content] of Object.entries(files)) {
    if (content === null) continue;
    const abs = join(dir, ...path.split("/"));
    // Paths come from the task (RepoPath: relative, no `..`), so they stay inside `dir`.
    mkdirSync(dirname(abs), { recursive: true });
    writeFileSync(abs, content);
  }
};

/** The prompt of a workspace turn: edit files in place, then answer with one line. */
export const workspacePrompt = (input: DeveloperInput): string => {
  const owned = input.task.owned_paths;
  const context = input.task.context_paths;
  return [
    "You are a Developer. Carry out your task by editing files in your current working directory,",
    "which holds a copy of the files you may see. Change, create or delete only the files you own;",
    "every other change is discarded. Explicit edits in the task are instructions to follow exactly.",
    "When done, answer with one line saying what you changed.",
    "",
    `Files you own: ${owned.join(", ")}`,
    `Files you may read: ${context.length ? context.join(", ") : "(none)"}`,
    "",
    "Task:",
    JSON.stringify(input.task),
  ].join("\n");
};

type Found = { files: Map<string, string>; odd: string[] };

/** Every regular file under `dir` by repository path; anything else (symlinks, sockets) is odd. */
const scan = (dir: string): Found => {
  const files = new Map<string, string>();
  const odd: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const abs = join(d, e.name);
      const rel = relative(dir, abs).split(sep).join("/");
      // Hyperion's own (a long prompt); no repository path can name it.
      if (rel === ".hyperion") continue;
      if (e.isDirectory()) walk(abs);
      else if (e.isFile() && !lstatSync(abs).isSymbolicLink()) files.set(rel, readFileSync(abs, "utf8"));
      else odd.push(rel);
    }
  };
  walk(dir);
  return { files, odd };
};

export type WorkspaceResult = {
  /** The Developer's answer as if it had written it: owned files only. */
  output: DeveloperOutput;
  /** Paths the agent wrote outside what it owns; never applied. */
  discarded: string[];
};

/** Diffs the scratch copy against what the agent was given. */
export const readWorkspace = (dir: string, input: DeveloperInput, summary: string): WorkspaceResult => {
  const owned = new Set(input.task.owned_paths);
  const { files: after, odd } = scan(dir);
  const before = input.files;
  const discarded = [...odd];
  const proposed: ProposedFile[] = [];
  const deleted: string[] = [];
  const created = new Set<string>();

  for (const [path, content] of after) {
    const was = before[path] ?? null;
    if (was === content) continue;
    if (!owned.has(path)) {
      discarded.push(path);
      continue;
    }
    if (was === null) created.add(path);
    proposed.push({ op: "write", path, content });
  }
  for (const [path, was] of Object.entries(before)) {
    if (was === null || after.has(path)) continue;
    if (owned.has(path)) deleted.push(path);
    else discarded.push(path);
  }
  // A deleted owned file whose rename the task names, onto a file it created, is that rename.
  for (const path of deleted) {
    const rename = input.task.edits.find(
      (e) => e.op === "rename" && e.path === path && created.has(e.new_path),
    );
    if (rename?.op !== "rename") {
      proposed.push({ op: "delete", path });
      continue;
    }
    const i = proposed.findIndex((p) => p.path === rename.new_path);
    const content = after.get(rename.new_path)!;
    proposed.splice(i, 1);
    proposed.push({
      op: "rename",
      path,
      new_path: rename.new_path,
      ...(content === before[path] ? {} : { content }),
    });
  }
  const line = summary.trim().split("\n")[0] ?? "";
  proposed.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { output: { summary: line.slice(0, 2_000), files: proposed }, discarded: discarded.sort() };
};
