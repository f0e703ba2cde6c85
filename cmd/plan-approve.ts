import { userInfo } from "node:os";
import { defineCommand } from "citty";
import { approvePlan } from "../lib/governance/index.ts";
import { openRepo } from "../lib/store/index.ts";
import { formatArg, repoArgs } from "./_args.ts";
import { out, outJson } from "./_io.ts";
import { cli } from "./_main.ts";

const command = defineCommand({
  meta: {
    name: "approve",
    description: "Approve the repository's WORKPLAN.md as it is now (binds to its sha256)",
  },
  args: {
    ...repoArgs,
    by: { type: "string", description: "Who approves (default: the current user)", valueHint: "NAME" },
    format: formatArg(["text", "json"], "text"),
  },
  run({ args }) {
    using repo = openRepo({ repo: args.repo, db: args.db });
    const status = approvePlan(repo.loc.repo, repo.db, args.by ?? userInfo().username);
    if (args.format === "json") return outJson(status);
    out(`approved ${status.path} (sha256 ${status.sha256}) by ${status.approved_by}`);
  },
});

export default command;

if (import.meta.main) await cli(command);
