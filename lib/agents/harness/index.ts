import type { AgentName } from "../../schema/index.ts";
import type { AgentHarness } from "../harness.ts";

/**
 * Harnesses that drive real coding CLIs (copilot, claude, codex, gemini, command) belong in this
 * directory, one table-driven module, each registered here by name. None is built yet: until
 * then `--agent copilot` is refused with E_AGENT_UNAVAILABLE rather than silently using the stub.
 */
export const cliHarnesses: Partial<
  Record<Exclude<AgentName, "stub">, (opts: { repo: string }) => AgentHarness>
> = {};
