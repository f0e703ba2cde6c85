import { z } from "zod";
import { Id, RepoPath } from "./common.ts";
import { Edit } from "./edit.ts";

export const DeveloperTask = z
  .strictObject({
    id: Id,
    request_id: Id,
    title: z.string().min(1).max(200),
    instructions: z.string().max(50_000).default(""),
    owned_paths: z
      .array(RepoPath)
      .min(1)
      .describe("Files this task alone may change; no two tasks share one."),
    context_paths: z.array(RepoPath).default([]).describe("Files the developer may read but not change."),
    estimated_tokens: z.number().int().nonnegative().describe("Estimated prompt size for the model."),
    edits: z.array(Edit).default([]).describe("Explicit edits carried over from the request."),
    checks: z
      .array(z.string().max(2_000))
      .default([])
      .describe(
        "Commands of the plan's Commands section that check this task's files quickly; run on its change before it joins a validation batch.",
      ),
  })
  .meta({
    title: "DeveloperTask",
    description: "One small, independent unit of work for one Developer agent.",
  });
export type DeveloperTask = z.infer<typeof DeveloperTask>;
