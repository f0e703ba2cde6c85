import type {
  DeveloperTask,
  Edit,
  EngineerOutput,
  OrchestratorConfig,
  Role,
  ScopeBrief,
  TaskRequest,
} from "../schema/index.ts";

/** What the Engineer is given: the request as filed, plus a person's answers so far. */
export type EngineerInput = {
  request: TaskRequest & { id: string };
  answers: { question: string; answer: string }[];
  /** `--yes`: proceed on stated assumptions instead of asking. */
  assume: boolean;
  /** Repository files (relative paths), so scope can name real files. */
  files: string[];
};

/** What the Orchestrator is given: the brief, the request's edits in scope, and the files in scope. */
export type OrchestratorInput = {
  brief: ScopeBrief;
  edits: Edit[];
  files: { path: string; bytes: number }[];
  limits: OrchestratorConfig;
};

/** What a Developer is given: its task and only its owned and context files (null: absent). */
export type DeveloperInput = {
  task: DeveloperTask;
  files: Record<string, string | null>;
};

export type RoleInput =
  | { role: "engineer"; input: EngineerInput }
  | { role: "orchestrator"; input: OrchestratorInput }
  | { role: "developer"; input: DeveloperInput };

/** One role turn as a harness receives it. */
export type TurnRequest = RoleInput & {
  /** The whole prompt: role instructions, the JSON contract (JSON Schema) and the input. */
  prompt: string;
  /** JSON Schema of the answer the role must give. */
  outputSchema: Record<string, unknown>;
  /** The repository root; harnesses must not write to it (agents work in scratch copies). */
  repo: string;
  /** A stored session to resume, when the operator set one up (lib/agents/harness/ uses it). */
  session?: { name: string; resume?: string };
  /** Aborted when the turn's timeout passes; a harness stops its child process then. */
  signal: AbortSignal;
};

export type Usage = { input_tokens?: number; output_tokens?: number; duration_ms?: number };

/** What a harness hands back; untrusted until parsed against the role's contract. */
export type TurnResult = {
  /** The raw output, kept in the logs. */
  text: string;
  /** Parsed JSON when the harness extracted it itself; otherwise it is extracted from `text`. */
  json?: unknown;
  usage?: Usage;
  /** A resume token for the next turn of the same session. */
  session?: { resume: string };
  /** Workspace mode: paths the agent wrote outside what it owns, discarded and never applied. */
  discarded?: string[];
};

/** Runs one role turn: prompt in, text/JSON out. `stub` is built in; CLI harnesses live in harness/. */
export type AgentHarness = {
  /** The name shown in results and stored on rows (stub, copilot...). */
  readonly name: string;
  /** Longest one turn may take, when the harness's config sets one (else agents.timeout_ms). */
  readonly timeoutMs?: number;
  /** One turn; rejects on failure of the agent itself (exit code, auth, missing executable). */
  turn: (req: TurnRequest) => Promise<TurnResult>;
};

export type { EngineerOutput, Role };
