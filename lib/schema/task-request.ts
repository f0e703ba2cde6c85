import { z } from "zod";
import { Id, Kind, RepoPath } from "./common.ts";
import { Edit } from "./edit.ts";

export const TaskRequest = z
  .strictObject({
    id: Id.optional().describe("Request id; assigned when absent. A reused id is refused."),
    title: z.string().trim().min(1).max(200).describe("One line: what the person wants."),
    description: z.string().max(50_000).default("").describe("The request in the person's words."),
    kind: Kind.optional().describe(
      "feature, bugfix, refactor or docs; the Engineer classifies it when absent.",
    ),
    scope: z
      .strictObject({
        include: z.array(RepoPath).default([]).describe("Paths or globs the work may touch."),
        exclude: z.array(RepoPath).default([]).describe("Paths or globs the work must not touch."),
      })
      .optional(),
    acceptance: z.array(z.string().min(1)).default([]).describe("Acceptance criteria, one per entry."),
    edits: z.array(Edit).default([]).describe("Explicit edits; the deterministic stub agent follows them."),
    priority: z.number().int().min(-1000).max(1000).default(0).describe("Higher is leased first."),
  })
  .meta({ title: "TaskRequest", description: "What a person files: the work to be done in one repository." });
export type TaskRequest = z.infer<typeof TaskRequest>;
