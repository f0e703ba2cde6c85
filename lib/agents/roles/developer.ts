import { makeFileChange } from "../../patch/index.ts";
import {
  type ChangeRequest,
  DeveloperOutput,
  type DeveloperTask,
  type FileChange,
  type ProposedFile,
} from "../../schema/index.ts";
import { type AgentContext, turnOptions } from "../context.ts";
import { readRepoFile } from "../repo-files.ts";
import { runTurn, type TurnOutcome } from "../turn.ts";

/** The Developer's contract for one task: only owned files, each once, operations that fit the files. */
const contractFor = (task: DeveloperTask, files: Record<string, string | null>) => {
  const owned = new Set(task.owned_paths);
  return DeveloperOutput.superRefine((out, ctx) => {
    const seen = new Set<string>();
    out.files.forEach((f, i) => {
      const issue = (message: string, field = "path") =>
        ctx.addIssue({ code: "custom", path: ["files", i, field], message });
      for (const [field, p] of [
        ["path", f.path],
        ["new_path", f.op === "rename" ? f.new_path : undefined],
      ] as const) {
        if (p === undefined) continue;
        if (!owned.has(p)) issue(`'${p}' is not owned by task ${task.id}`, field);
        else if (seen.has(p)) issue(`'${p}' appears twice`, field);
        seen.add(p);
      }
      if (f.op !== "write" && files[f.path] === null)
        issue(`'${f.path}' does not exist, so it cannot be ${f.op}d`);
      if (f.op === "rename" && files[f.new_path] !== null)
        issue(`'${f.new_path}' already exists`, "new_path");
    });
  });
};

/** The change Hyperion computes from one proposed file; null when it changes nothing. */
const fileChangeFor = (f: ProposedFile, before: string | null): FileChange | null => {
  switch (f.op) {
    case "write":
      return before === f.content ? null : makeFileChange(f.path, before, f.content);
    case "delete":
      return makeFileChange(f.path, before, null);
    case "rename":
      return makeFileChange(f.path, before, f.content ?? before, { newPath: f.new_path });
  }
};

export type DeveloperResult = {
  change: ChangeRequest | null;
  turn: TurnOutcome<DeveloperOutput>;
};

/**
 * One Developer turn: the task and only its owned and context files go in; proposed contents come
 * out, and Hyperion computes the diffs and hashes against exactly the contents the agent was shown.
 */
export const runDeveloper = async (ctx: AgentContext, task: DeveloperTask): Promise<DeveloperResult> => {
  const files: Record<string, string | null> = {};
  for (const p of [...task.owned_paths, ...task.context_paths]) files[p] = readRepoFile(ctx.repo, p);
  const turn = await runTurn(
    { role: "developer", input: { task, files } },
    { ...turnOptions(ctx), contract: contractFor(task, files), taskId: task.id },
  );
  const changes = turn.output.files
    .map((f) => fileChangeFor(f, files[f.path] ?? null))
    .filter((c): c is FileChange => c !== null);
  if (changes.length === 0) return { change: null, turn };
  return {
    turn,
    change: {
      task_id: task.id,
      request_id: task.request_id,
      agent: turn.agent,
      summary: (turn.output.summary || task.title).split("\n")[0]!.slice(0, 2_000),
      changes,
    },
  };
};
