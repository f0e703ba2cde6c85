import { z } from "zod";
import { Id, Kind, RepoPath, Risk } from "./common.ts";

export const ScopeBrief = z
  .strictObject({
    request_id: Id,
    kind: Kind,
    summary: z.string().min(1).max(2_000).describe("The Engineer's restatement of the work."),
    include: z.array(RepoPath).describe("Paths or globs in scope."),
    exclude: z.array(RepoPath).default([]).describe("Paths or globs out of scope."),
    acceptance_criteria: z.array(z.string().min(1)).default([]),
    risk: Risk,
    open_questions: z
      .array(z.string().min(1))
      .default([])
      .describe("Questions a person must answer before planning; non-empty means needs_clarification."),
    assumptions: z.array(z.string().min(1)).default([]).describe("What the Engineer assumed to proceed."),
  })
  .meta({
    title: "ScopeBrief",
    description: "The Engineer's answer: the request's kind, scope, criteria and risk.",
  });
export type ScopeBrief = z.infer<typeof ScopeBrief>;
