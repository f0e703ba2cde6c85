import type { Config } from "../schema/index.ts";
import type { AgentHarness } from "./harness.ts";

/** What every role turn of one request shares. */
export type AgentContext = {
  /** The repository root (agents read it; only the queue writes to it). */
  repo: string;
  config: Config;
  /** The harness asked to run the turns. */
  harness: AgentHarness;
  /** Stands in when an agent's output fails its contract. */
  stub: AgentHarness;
  /** false: a contract failure is an error (`--no-fallback`). */
  fallback: boolean;
  /** The repository plan's commands, for each task's quick checks (none without a plan). */
  plan?: { commands: string[]; validation: string[] };
};

/** The options every role turn of a request passes to runTurn. */
export const turnOptions = (ctx: AgentContext) => ({
  harness: ctx.harness,
  stub: ctx.stub,
  fallback: ctx.fallback,
  timeoutMs: ctx.harness.timeoutMs ?? ctx.config.agents.timeout_ms,
  repo: ctx.repo,
});
