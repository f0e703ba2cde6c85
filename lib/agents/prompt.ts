import type { RoleInput } from "./harness.ts";

const ROLE_TEXT: Record<RoleInput["role"], string> = {
  engineer: [
    "You are the Engineer. Read the task request and state its scope before anyone plans it:",
    "classify it (feature, bugfix, refactor, docs) when it has no kind; list the paths and globs in",
    "and out of scope; write acceptance criteria; rate the risk; and ask open questions only when a",
    "person must decide something. Questions already answered are in `answers`; when `assume` is",
    "true, turn remaining doubts into assumptions instead of questions.",
  ].join("\n"),
  orchestrator: [
    "You are the Orchestrator. Cut the brief into small developer tasks that can run in parallel.",
    "Two tasks never own one file; a renamed file and its new name belong to one task. Every path",
    "an edit touches must be owned by some task. Give each task the few files it needs to read",
    "(context_paths). Keep each task within the limits given.",
  ].join("\n"),
  developer: [
    "You are a Developer. Carry out your task by proposing the whole new content of the files you",
    "own. Change no other file. Do not write diffs: Hyperion computes them from your content.",
    "Explicit edits in the task are instructions to follow exactly.",
  ].join("\n"),
};

/** The prompt a harness hands its agent: role, contract (JSON Schema) and input, all in one text. */
export const buildPrompt = (turn: RoleInput, outputSchema: Record<string, unknown>): string =>
  [
    ROLE_TEXT[turn.role],
    "",
    "Answer with exactly one JSON object that matches this JSON Schema, and nothing else:",
    JSON.stringify(outputSchema),
    "",
    "Input:",
    JSON.stringify(turn.input),
  ].join("\n");
