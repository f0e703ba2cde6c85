import { z } from "zod";
import { Id, Kind, RepoPath, Risk } from "./common.ts";

/** Where a request stands in the pipeline; what happens to its changes is the queue's status. */
export const RequestStatus = z
  .enum(["needs_clarification", "planned", "enqueued", "no_changes"])
  .describe(
    "needs_clarification: waits for `hyperion answer`; planned: a dry run; enqueued: its change requests are queued; no_changes: nothing to change.",
  );
export type RequestStatus = z.infer<typeof RequestStatus>;

export const TaskStatus = z.enum(["planned", "enqueued", "no_changes"]);
export type TaskStatus = z.infer<typeof TaskStatus>;

export const Role = z.enum(["engineer", "orchestrator", "developer"]).describe("An agent's role in a turn.");
export type Role = z.infer<typeof Role>;

export const Fallback = z.strictObject({
  role: Role,
  task_id: Id.optional(),
  agent: z.string().describe("The agent whose output failed its contract."),
  reason: z.string().describe("Why the output was refused."),
  raw_output: z
    .string()
    .optional()
    .describe("The refused output as it came, its head and tail when long (kept for `summary`)."),
});
export type Fallback = z.infer<typeof Fallback>;

export const TaskSummary = z.strictObject({
  id: Id,
  title: z.string(),
  status: TaskStatus,
  owned_paths: z.array(RepoPath),
  context_paths: z.array(RepoPath),
  estimated_tokens: z.number().int(),
  agent: z.string().describe("Who produced the task's change (the stub after a fallback)."),
  fallback: z.boolean(),
});
export type TaskSummary = z.infer<typeof TaskSummary>;

export const EnqueuedChange = z.strictObject({
  id: Id.nullable().describe("The change's id; null in a dry run, where nothing is queued."),
  task_id: Id,
  paths: z.array(RepoPath),
  status: z.string().describe("The change's queue status (queued, awaiting_approval...)."),
});
export type EnqueuedChange = z.infer<typeof EnqueuedChange>;

/** What `hyperion request` and `hyperion answer` print with `--format json`. */
export const RequestResult = z
  .strictObject({
    request_id: Id,
    status: RequestStatus,
    dry_run: z.boolean(),
    kind: Kind.nullable(),
    risk: Risk.nullable(),
    agent: z.string().describe("The harness asked to run the turns."),
    fallback: z
      .boolean()
      .describe("True when any turn's output failed its contract and the stub's was used."),
    fallbacks: z.array(Fallback),
    questions: z.array(z.string()).describe("Open questions, numbered from 1 for `hyperion answer`."),
    assumptions: z.array(z.string()),
    tasks: z.array(TaskSummary),
    change_requests: z.array(EnqueuedChange),
  })
  .meta({
    title: "RequestResult",
    description: "What `hyperion request` and `hyperion answer` report: the plan and what was enqueued.",
  });
export type RequestResult = z.infer<typeof RequestResult>;
