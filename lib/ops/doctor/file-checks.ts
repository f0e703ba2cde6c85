import type { Database } from "bun:sqlite";
import { readFileSync, statSync } from "node:fs";
import { agentVersions } from "../../agents/harness/index.ts";
import { bwrapPath, checkBwrap, INSTALL_HINT } from "../../agents/sandbox/index.ts";
import { planStatus } from "../../governance/index.ts";
import type { AgentName, Config } from "../../schema/index.ts";
import type { Locations } from "../../store/index.ts";
import { type Check, ok, problem } from "./types.ts";

/** The signing key: present, a hex key, readable by its owner only. */
export const checkSecret = (loc: Locations): Check => {
  let mode: number;
  try {
    mode = Number(statSync(loc.secret).mode) & 0o777;
  } catch {
    return problem(
      "fail",
      "secret",
      `no signing secret at ${loc.secret}`,
      "run `hyperion init` to create one",
    );
  }
  const octal = mode.toString(8).padStart(3, "0");
  if ((mode & 0o077) !== 0)
    return problem(
      "fail",
      "secret",
      `${loc.secret} has mode ${octal}: others can read the key that signs queued changes`,
      `run \`hyperion doctor --fix\` (or \`chmod 600 ${loc.secret}\`); if others may have read it, re-create it once the queue is empty`,
      true,
      { mode: octal },
    );
  if (!/^[0-9a-f]{64,}$/.test(readFileSync(loc.secret, "utf8").trim()))
    return problem(
      "fail",
      "secret",
      `${loc.secret} does not hold a hex key`,
      "delete it and run `hyperion init`",
    );
  return ok("secret", `present, mode ${octal}`, { mode: octal });
};

/** WORKPLAN.md: validation commands run only under a valid plan a person approved. */
export const checkWorkplan = (repo: string, db: Database): Check => {
  const { status, plan } = planStatus(repo, db);
  const details = { path: status.path, sha256: status.sha256, approved_by: status.approved_by };
  if (!status.present)
    return problem(
      "warn",
      "workplan",
      "no WORKPLAN.md: no validation command will run",
      "write one in the seed's format, then `hyperion plan approve`",
      false,
      details,
    );
  if (!status.valid) {
    const first = plan?.findings.find((f) => f.level === "error");
    return problem(
      "fail",
      "workplan",
      `WORKPLAN.md is not valid${first ? ` (line ${first.line ?? "?"}: ${first.message})` : ""}`,
      "run `hyperion plan check` and fix what it names",
      false,
      details,
    );
  }
  if (!status.recorded)
    return problem(
      "warn",
      "workplan",
      "WORKPLAN.md is valid but its current text is not approved",
      "review it, then run `hyperion plan approve`",
      false,
      details,
    );
  return ok("workplan", `valid and approved by ${status.approved_by}`, details);
};

/** The coding CLI each harness drives. */
const CLIS: Partial<Record<AgentName, string>> = {
  copilot: "copilot",
  claude: "claude",
  codex: "codex",
  gemini: "gemini",
};

/** Agent CLIs on PATH with their versions; the configured harness's must be there. */
export const checkAgents = (config: Config, env: Record<string, string | undefined> = process.env): Check => {
  const chosen = (env.HYPERION_AGENT || config.agents.default) as AgentName;
  const found: Record<string, string | null> = {};
  const versions: Record<string, string | null> = {};
  const checked: Record<string, string> = {};
  const on: string[] = [];
  // Each `--version` runs with a throwaway HOME (lib/agents/harness/version.ts), never the operator's.
  for (const v of agentVersions(env)) {
    found[v.agent] = v.path;
    checked[v.agent] = v.checked;
    if (!v.path) continue;
    versions[v.agent] = v.version;
    // Flags change between releases: say when the installed CLI is not the version Hyperion checked.
    const note =
      v.against === "newer"
        ? ` (newer than ${v.checked}, the version Hyperion's harness was checked against)`
        : v.against === "older"
          ? ` (older than ${v.checked}, the version Hyperion's harness was checked against)`
          : "";
    on.push(v.version ? `${v.agent} ${v.version}${note}` : v.agent);
  }
  const details = { agent: chosen, found, versions, checked };
  const cli = CLIS[chosen];
  if (cli && !found[chosen])
    return problem(
      "fail",
      "agents",
      `agent '${chosen}' is configured but \`${cli}\` is not on PATH`,
      `install the ${cli} CLI, or set agents.default (or HYPERION_AGENT) to another agent`,
      false,
      details,
    );
  return ok("agents", `agent '${chosen}'; on PATH: ${on.length ? on.join(", ") : "no coding CLI"}`, details);
};

/**
 * `agents.sandbox`: `off` is named (a warning, whatever the agent); `required` needs bubblewrap
 * that starts, which fails the check when a coding CLI is the agent in force.
 */
export const checkSandbox = (
  config: Config,
  env: Record<string, string | undefined> = process.env,
): Check => {
  if (config.agents.sandbox === "off")
    return problem(
      "warn",
      "sandbox",
      "agents.sandbox is off: coding agents run unconfined, as you, and can read the signing key and write the live tree (the live tree is still checked after every turn)",
      'install bubblewrap and set agents.sandbox to "required" in .hyperion/config.json',
      false,
      { sandbox: "off" },
    );
  const bwrap = bwrapPath(env);
  try {
    checkBwrap(bwrap);
  } catch (e) {
    const chosen = env.HYPERION_AGENT || config.agents.default;
    return problem(
      chosen === "stub" ? "warn" : "fail",
      "sandbox",
      (e as Error).message,
      INSTALL_HINT,
      false,
      { sandbox: "required", bwrap },
    );
  }
  return ok("sandbox", `agents run inside bubblewrap (${bwrap})`, { sandbox: "required", bwrap });
};
