import { z } from "zod";
import { Id, RepoPath, Sha256 } from "./common.ts";

export const FileOperation = z.enum(["create", "modify", "delete", "rename"]);
export type FileOperation = z.infer<typeof FileOperation>;

export const FileChange = z.strictObject({
  path: RepoPath,
  operation: FileOperation,
  patch: z.string().optional().describe("Unified diff for this file; optional for delete and rename."),
  base_sha256: Sha256.optional().describe(
    "Hash of the file the patch was made against (modify, delete, rename).",
  ),
  new_sha256: Sha256.optional().describe("Hash of the file after the patch (create, modify)."),
  new_path: RepoPath.optional().describe("Target of a rename."),
});
export type FileChange = z.infer<typeof FileChange>;

/** The wire contract between developers (or an operator's tools) and the queue; names are fixed. */
export const ChangeRequest = z
  .strictObject({
    id: Id.optional().describe(
      "Change id; assigned when absent. Refused while a live change holds it; free again once that change is archived.",
    ),
    task_id: Id.describe(
      "The task this change belongs to; an unknown task id marks an operator's ad-hoc change.",
    ),
    request_id: Id.optional().describe("The task request the task came from."),
    agent: z
      .string()
      .min(1)
      .max(128)
      .optional()
      .describe("Who produced the change (copilot, stub, operator...)."),
    summary: z.string().max(2_000).optional().describe("One line on what the change does."),
    changes: z.array(FileChange).min(1).describe("One entry per file; all apply together or not at all."),
  })
  .meta({
    title: "ChangeRequest",
    description: "Unified-diff patches per file, tied to a task id, as a developer hands them to the queue.",
  });
export type ChangeRequest = z.infer<typeof ChangeRequest>;
