import { z } from "zod";
import { RepoPath } from "./common.ts";
import { ScopeBrief } from "./scope-brief.ts";

/** What the Engineer answers; Hyperion adds the request id itself rather than trusting an echo. */
export const EngineerOutput = ScopeBrief.omit({ request_id: true }).meta({
  title: "EngineerOutput",
  description:
    "The Engineer's turn: the request's kind, scope (paths and globs), criteria, risk and open questions.",
});
export type EngineerOutput = z.infer<typeof EngineerOutput>;

export const ProposedTask = z.strictObject({
  title: z.string().min(1).max(200),
  instructions: z.string().max(50_000).default(""),
  owned_paths: z.array(RepoPath).min(1).describe("Files the task changes."),
  context_paths: z.array(RepoPath).default([]).describe("Files the task reads but does not change."),
});
export type ProposedTask = z.infer<typeof ProposedTask>;

/** What the Orchestrator answers; Hyperion's policy then merges, splits, names and sizes the tasks. */
export const OrchestratorOutput = z
  .strictObject({
    tasks: z.array(ProposedTask).max(10_000),
  })
  .meta({
    title: "OrchestratorOutput",
    description:
      "The Orchestrator's turn: proposed developer tasks. Tasks that share a file are merged and tasks over the model limits are split.",
  });
export type OrchestratorOutput = z.infer<typeof OrchestratorOutput>;

/** One file as the Developer proposes it: whole contents, never diff syntax. */
export const ProposedFile = z.discriminatedUnion("op", [
  z.strictObject({
    op: z.literal("write"),
    path: RepoPath,
    content: z.string().describe("The whole new content; the file is created when it does not exist."),
  }),
  z.strictObject({ op: z.literal("delete"), path: RepoPath }),
  z.strictObject({
    op: z.literal("rename"),
    path: RepoPath,
    new_path: RepoPath,
    content: z.string().optional().describe("New content of the renamed file; unchanged when absent."),
  }),
]);
export type ProposedFile = z.infer<typeof ProposedFile>;

/**
 * What a Developer answers: the proposed content of its owned files. Hyperion computes the unified
 * diffs and hashes from these, so an agent never writes diff syntax.
 */
export const DeveloperOutput = z
  .strictObject({
    summary: z.string().max(2_000).default("").describe("One line on what the change does."),
    files: z.array(ProposedFile).describe("Only files the task owns; an empty list means no change."),
  })
  .meta({
    title: "DeveloperOutput",
    description: "The Developer's turn: proposed whole contents of the files its task owns.",
  });
export type DeveloperOutput = z.infer<typeof DeveloperOutput>;
