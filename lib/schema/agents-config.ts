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

/** An environment variable name, or a prefix pattern ending in `*` (`COPILOT_*`). */
const EnvName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*\*?$/, "a variable name, or a prefix ending in *");

/** An absolute directory path. */
const AbsPath = z.string().regex(/^\//, "an absolute path");

/** How one coding CLI is driven; every field is the operator's (trusted) choice. */
export const HarnessConfig = z.strictObject({
  command: z
    .string()
    .min(1)
    .optional()
    .describe("The executable (a name on PATH or a path); default: the CLI's own name (copilot, claude...)."),
  mode: z
    .enum(["json", "workspace"])
    .default("json")
    .describe(
      "json: the Developer answers with proposed contents; workspace: it edits a private copy of its task's files and Hyperion diffs the copy.",
    ),
  model: z.string().min(1).optional().describe("Model id passed to the CLI (--model / -m)."),
  timeout_ms: z
    .number()
    .int()
    .min(1)
    .optional()
    .describe("Longest one turn of this harness may take; default agents.timeout_ms."),
  env: z
    .array(EnvName)
    .optional()
    .describe(
      "Environment variables forwarded to the CLI (names or `PREFIX_*`), replacing the CLI's defaults (copilot: COPILOT_*, GH_TOKEN, GITHUB_TOKEN; claude: ANTHROPIC_*, CLAUDE_*; codex: OPENAI_*, CODEX_*; gemini: GEMINI_*, GOOGLE_*). PATH and LANG always pass; nothing else of the operator's environment does.",
    ),
  env_extra: z
    .array(EnvName)
    .default([])
    .describe("Environment variables forwarded in addition to `env` (or the CLI's defaults)."),
  allow_all_tools: z
    .boolean()
    .default(false)
    .describe(
      "Let the CLI run every tool without asking (copilot --allow-all-tools, claude bypassPermissions, gemini yolo).",
    ),
  allow_tools: z.array(z.string().min(1)).default([]).describe("Tools the CLI may use without asking."),
  deny_tools: z.array(z.string().min(1)).default([]).describe("Tools the CLI must not use."),
  args: z.array(z.string()).default([]).describe("Extra arguments placed before the prompt."),
  network: z
    .boolean()
    .optional()
    .describe(
      "Whether the CLI's sandbox shares the host's network (its model endpoint; a loopback model too). Default: true for copilot, claude, codex and gemini, false for command. bubblewrap cannot filter by host: on is the whole network.",
    ),
  read_paths: z
    .array(AbsPath)
    .default([])
    .describe(
      "Absolute directories the sandbox shows the CLI read-only, beside the system directories and the CLI's own install. Never the repository, nor a directory holding it.",
    ),
  write_paths: z
    .array(AbsPath)
    .default([])
    .describe(
      "Absolute directories the sandbox shows the CLI read-write, beside its workspace, its private home and /tmp. Never the repository, nor a directory holding it.",
    ),
  settings: z
    .record(z.string(), z.unknown())
    .optional()
    .describe(
      "claude and gemini: settings written into the CLI's private settings file each turn (claude: $CLAUDE_CONFIG_DIR/settings.json; gemini: ~/.gemini/settings.json), over Hyperion's own (a top-level object is merged one level deep).",
    ),
  template: z
    .array(z.string())
    .optional()
    .describe(
      "For the `command` harness: argv after the executable, with {prompt}, {model}, {workdir}, {session} and {home} replaced.",
    ),
});
export type CodexConfig = z.infer<typeof CodexConfig>;
export type HarnessConfig = z.infer<typeof HarnessConfig>;

/**
 * A model provider for codex, which ignores OPENAI_BASE_URL (0.171.0): it reaches codex as
 * `-c model_providers.hyperion...` arguments, since its private CODEX_HOME hides the operator's
 * own config.toml.
 */
export const CodexProvider = z.strictObject({
  base_url: z
    .string()
    .regex(/^https?:\/\/\S+$/, "an http(s) URL")
    .describe("The provider's API root, e.g. http://127.0.0.1:8080/v1 (codex appends /responses)."),
  env_key: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "a variable name")
    .optional()
    .describe(
      "The variable holding the API key (forwarded to codex, kept from its shells); none: no key sent.",
    ),
  wire_api: z
    .enum(["responses"])
    .default("responses")
    .describe("The provider's protocol; codex 0.171.0 speaks only the Responses API."),
});
export type CodexProvider = z.infer<typeof CodexProvider>;

/** The codex harness: the common fields, and a model provider of the operator's. */
export const CodexConfig = HarnessConfig.extend({
  provider: CodexProvider.optional().describe(
    "A model provider for codex (it ignores OPENAI_BASE_URL); default: codex's own (OpenAI).",
  ),
});

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
  sandbox: z
    .enum(["required", "off"])
    .default("required")
    .describe(
      "required: every agent process runs inside bubblewrap (workspace, private home and /tmp writable; the repository, its .hyperion/ and the operator's home out of sight), and a request fails with E_SANDBOX_UNAVAILABLE when it cannot start. off: agents run unconfined (named by `doctor`, warned on every request); the live tree is still checked after every turn.",
    ),
  max_concurrent_agents: z.number().int().min(1).max(64).default(4).describe("Developer turns run at once."),
  copilot: HarnessConfig.prefault({}).describe("The GitHub Copilot CLI harness."),
  claude: HarnessConfig.prefault({}).describe("The Claude Code CLI harness."),
  codex: CodexConfig.prefault({}).describe("The OpenAI Codex CLI harness."),
  gemini: HarnessConfig.prefault({}).describe("The Gemini CLI harness."),
  command: HarnessConfig.prefault({}).describe("Any other CLI, driven by `template`."),
});
export type AgentsConfig = z.infer<typeof AgentsConfig>;
