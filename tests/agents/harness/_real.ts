/**
 * What the real-CLI suites (`*-real.slow.ts`) share: the Engineer turn they drive, the harness
 * built from a CLI's config, and the Developer task they hand it. Each suite keeps its own mock
 * of its CLI's wire protocol.
 */
import type { Database } from "bun:sqlite";
import {
  type AgentHarness,
  createStubHarness,
  type EngineerInput,
  runTurn,
  selectHarness,
  stubEngineer,
} from "../../../lib/agents/index.ts";
import {
  type AgentName,
  Config,
  DeveloperTask,
  EngineerOutput,
  TaskRequest,
} from "../../../lib/schema/index.ts";
import { sessionsSql } from "../../../lib/store/index.ts";

export const ENGINEER_INPUT: EngineerInput = {
  request: { ...TaskRequest.parse({ title: "Fix the crash in greet", edits: [] }), id: "r-1" },
  answers: [],
  assume: true,
  files: ["src/a.ts"],
};

/** The stub's brief for ENGINEER_INPUT, wrapped in prose as a model would answer. */
export const BRIEF_TEXT = `Here is the brief:\n${JSON.stringify(stubEngineer(ENGINEER_INPUT))}`;

/** One Engineer turn through `h`, with no fallback: a contract failure is an error. */
export const engineerTurn = (h: AgentHarness, repo: string) =>
  runTurn(
    { role: "engineer", input: ENGINEER_INPUT },
    {
      harness: h,
      stub: createStubHarness(),
      fallback: false,
      timeoutMs: 50_000,
      repo,
      contract: EngineerOutput,
    },
  );

/** The harness of `cli` from its `agents.<cli>` settings, as the pipeline builds it. */
export const realHarness = (
  cli: AgentName,
  settings: Record<string, unknown>,
  fx: { path: string; repo: { db: Database } },
  env: Record<string, string | undefined>,
) => {
  const config = Config.parse({ agents: { [cli]: settings } });
  return {
    config,
    harness: selectHarness(cli, { repo: fx.path, config, sessions: sessionsSql(fx.repo.db), env }),
  };
};

/** The Developer task the workspace tests give: change src/a.ts, read src/b.ts. */
export const developerTask = (id: string) =>
  DeveloperTask.parse({
    id,
    request_id: "r-9",
    title: "Set a to 42",
    owned_paths: ["src/a.ts"],
    context_paths: ["src/b.ts"],
    estimated_tokens: 100,
  });
