import { usageError } from "../errors.ts";
import { AgentName, type Config, defaultConfig } from "../schema/index.ts";
import type { SessionRow } from "../store/index.ts";
import { cliHarnesses } from "./harness/index.ts";
import type { AgentHarness } from "./harness.ts";
import type { SessionStore } from "./session.ts";
import { createStubHarness } from "./stub/index.ts";

/**
 * The harness name in force: `--agent`, else the pinned session's agent, else HYPERION_AGENT,
 * else config `agents.default`.
 */
export const agentName = (
  flag: string | undefined,
  config: Config,
  env: Record<string, string | undefined> = process.env,
  pinned?: SessionRow,
): AgentName => {
  const given = flag ?? pinned?.agent ?? env.HYPERION_AGENT ?? config.agents.default;
  const parsed = AgentName.safeParse(given);
  if (!parsed.success) {
    const from = flag
      ? ""
      : pinned
        ? ` (from session ${pinned.name})`
        : env.HYPERION_AGENT
          ? " (from HYPERION_AGENT)"
          : " (from config agents.default)";
    throw usageError(
      "E_AGENT_UNKNOWN",
      `unknown agent '${given}'${from}`,
      `choose one of: ${AgentName.options.join(", ")}`,
    );
  }
  if (pinned && pinned.agent !== parsed.data) {
    throw usageError(
      "E_SESSION_AGENT",
      `session ${pinned.name} belongs to ${pinned.agent}, not ${parsed.data}`,
      `drop --agent, or pin a session of ${parsed.data}`,
    );
  }
  return parsed.data;
};

export type SelectOptions = {
  repo: string;
  config?: Config;
  /** The stored sessions; a CLI harness resumes the one for its agent and role. */
  sessions?: SessionStore;
  /** A session the request pinned (`--session N`). */
  pinned?: SessionRow;
  env?: Record<string, string | undefined>;
  /** Whether the queue applied a change to a path since a time (the live-tree check skips those). */
  appliedSince?: (path: string, since: number) => boolean;
};

/** The harness for a name; a CLI harness whose executable is missing is refused, never replaced. */
export const selectHarness = (name: AgentName, opts: SelectOptions): AgentHarness => {
  if (name === "stub") return createStubHarness();
  const config = opts.config ?? defaultConfig();
  return cliHarnesses[name]({
    repo: opts.repo,
    config: config.agents[name],
    sandbox: config.agents.sandbox,
    appliedSince: opts.appliedSince,
    sessions: opts.sessions,
    pinned: opts.pinned,
    env: opts.env,
  });
};
