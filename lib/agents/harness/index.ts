import type { AgentName } from "../../schema/index.ts";
import type { AgentHarness } from "../harness.ts";
import { createCliHarness, type HarnessOptions } from "./driver.ts";
import type { CliName } from "./spec.ts";
import { CLIS } from "./table.ts";

export { createCliHarness, type HarnessOptions, resolveBin } from "./driver.ts";
export { childEnv } from "./env.ts";
export type { ArgvInput, CliName, CliSpec, ParsedRun } from "./spec.ts";
export { CLIS } from "./table.ts";
export { agentVersions, type CliVersion, cliVersion } from "./version.ts";

/** The harnesses that drive real coding CLIs, by name; `stub` is built in (lib/agents/stub/). */
export const cliHarnesses: Record<
  Exclude<AgentName, "stub">,
  (opts: HarnessOptions) => AgentHarness
> = Object.fromEntries(
  (Object.keys(CLIS) as CliName[]).map((n) => [n, (opts: HarnessOptions) => createCliHarness(CLIS[n], opts)]),
) as Record<CliName, (opts: HarnessOptions) => AgentHarness>;
