import { usageError } from "../errors.ts";
import { AgentName, type Config } from "../schema/index.ts";
import { cliHarnesses } from "./harness/index.ts";
import type { AgentHarness } from "./harness.ts";
import { createStubHarness } from "./stub/index.ts";

/** The harness name in force: `--agent`, else HYPERION_AGENT, else config `agents.default`. */
export const agentName = (flag: string | undefined, config: Config, env = process.env): AgentName => {
  const given = flag ?? env.HYPERION_AGENT ?? config.agents.default;
  const parsed = AgentName.safeParse(given);
  if (!parsed.success) {
    throw usageError(
      "E_AGENT_UNKNOWN",
      `unknown agent '${given}'${flag ? "" : env.HYPERION_AGENT ? " (from HYPERION_AGENT)" : " (from config agents.default)"}`,
      `choose one of: ${AgentName.options.join(", ")}`,
    );
  }
  return parsed.data;
};

/** The harness for a name; a CLI harness that is not built in is refused, never replaced. */
export const selectHarness = (name: AgentName, opts: { repo: string }): AgentHarness => {
  if (name === "stub") return createStubHarness();
  const make = cliHarnesses[name];
  if (!make) {
    throw usageError(
      "E_AGENT_UNAVAILABLE",
      `the ${name} harness is not available in this build`,
      "use --agent stub (the default)",
    );
  }
  return make(opts);
};
