import { defineCommand } from "citty";
import { initSession, SessionInit } from "../lib/agents/index.ts";
import { parseWith } from "../lib/schema/index.ts";
import { openRepo } from "../lib/store/index.ts";
import { formatArg, repoArgs } from "./_args.ts";
import { out, outJson } from "./_io.ts";
import { cli } from "./_main.ts";

const command = defineCommand({
  meta: {
    name: "init",
    description: "Store an agent session that turns resume (its token, agent and allow-all-tools flag)",
  },
  args: {
    ...repoArgs,
    resume: {
      type: "string",
      description: "The CLI's session id to resume (default: a new session)",
      valueHint: "TOKEN",
    },
    agent: {
      type: "string",
      description: "copilot (default), claude, codex, gemini or command",
      valueHint: "NAME",
    },
    name: { type: "string", description: "The session's name (default: <agent>-<random>)", valueHint: "N" },
    role: {
      type: "string",
      description: "Only turns of this role use it: engineer, orchestrator or developer (default: any)",
      valueHint: "ROLE",
    },
    "allow-all-tools": {
      type: "boolean",
      description: "Let the agent run every tool without asking in this session",
    },
    format: formatArg(["text", "json"], "text"),
  },
  run({ args }) {
    const given = parseWith(
      SessionInit,
      {
        name: args.name,
        agent: args.agent,
        role: args.role,
        resume: args.resume,
        allow_all_tools: args["allow-all-tools"] ?? false,
      },
      "session init",
    );
    using repo = openRepo({ repo: args.repo, db: args.db });
    const r = initSession(repo.loc.repo, repo.db, given);
    if (args.format === "json") {
      outJson(r);
      return 0;
    }
    const s = r.session;
    const lines = [
      `session ${s.name}: ${s.agent}${s.role ? ` (${s.role})` : ""}, token ${s.token}${s.allow_all_tools ? ", all tools allowed" : ""}`,
      `  home ${r.home}`,
    ];
    if (r.state === "brought") lines.push("  the CLI's state for this token was copied from your home");
    if (r.state === "absent")
      lines.push(
        `  note: the CLI's state for this token was not found in your home; put it under the home above, or the first turn fails with E_AGENT_SESSION`,
      );
    lines.push(`use: hyperion request FILE --session ${s.name}`);
    out(`${lines.join("\n")}`);
    return 0;
  },
});

export default command;

if (import.meta.main) await cli(command);
