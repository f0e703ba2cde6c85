import { z } from "zod";

/** Harness names: `stub` is built in; the coding-CLI harnesses plug in under lib/agents/harness/. */
export const AgentName = z
  .enum(["stub", "copilot", "claude", "codex", "gemini", "command"])
  .describe("Which harness runs the agents' turns.");
export type AgentName = z.infer<typeof AgentName>;

/** The Orchestrator's policy: what one Developer turn may hold, in files and estimated tokens. */
export const OrchestratorConfig = z
  .strictObject({
    context_window: z
      .number()
      .int()
      .min(1_000)
      .default(128_000)
      .describe("Tokens the Developer model reads in one turn; no task may need more."),
    max_tokens_per_task: z
      .number()
      .int()
      .min(500)
      .default(32_000)
      .describe(
        "Estimated prompt tokens one task may need; a larger task is split (a single file may go up to context_window).",
      ),
    max_files_per_task: z
      .number()
      .int()
      .min(1)
      .max(1_000)
      .default(8)
      .describe("Files one task may own (a renamed file counts once); more are split into several tasks."),
    max_context_files: z
      .number()
      .int()
      .min(0)
      .max(1_000)
      .default(6)
      .describe("Read-only files given to a task beside the files it owns."),
    chars_per_token: z
      .number()
      .min(1)
      .max(16)
      .default(4)
      .describe("Characters per token used to estimate a prompt's size."),
    prompt_overhead_tokens: z
      .number()
      .int()
      .min(0)
      .default(1_500)
      .describe("Tokens every task's prompt spends on instructions and the output contract."),
  })
  .refine((c) => c.max_tokens_per_task <= c.context_window, {
    message: "max_tokens_per_task must not exceed context_window",
    path: ["max_tokens_per_task"],
  });
export type OrchestratorConfig = z.infer<typeof OrchestratorConfig>;

export const AgentsConfig = z.strictObject({
  default: AgentName.default("stub").describe(
    "Harness for every role unless `--agent` or HYPERION_AGENT names another.",
  ),
  timeout_ms: z
    .number()
    .int()
    .min(1)
    .default(600_000)
    .describe("Longest one agent turn may take; a timeout is an error, never a wait."),
  fallback: z
    .boolean()
    .default(true)
    .describe(
      "Use the stub when an agent's output fails its contract (logged and shown as `fallback: true`); false makes it an error.",
    ),
  max_concurrent_agents: z.number().int().min(1).max(64).default(4).describe("Developer turns run at once."),
});
export type AgentsConfig = z.infer<typeof AgentsConfig>;
