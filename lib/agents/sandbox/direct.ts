import { runChild } from "../harness/spawn.ts";
import type { AgentRunner } from "./runner.ts";

/** `agents.sandbox: off`: the process runs as the operator, seeing what the operator sees. */
export const directRunner: AgentRunner = {
  name: "none",
  run: (job) => runChild(job.argv, { cwd: job.workspace, env: job.env, signal: job.signal }),
};
