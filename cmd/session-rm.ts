import { defineCommand } from "citty";
import { removeSession } from "../lib/agents/index.ts";
import { openRepo } from "../lib/store/index.ts";
import { repoArgs } from "./_args.ts";
import { out } from "./_io.ts";
import { cli } from "./_main.ts";

const command = defineCommand({
  meta: { name: "rm", description: "Remove a stored agent session and its private home" },
  args: {
    name: { type: "positional", required: true, description: "The session's name" },
    ...repoArgs,
  },
  run({ args }) {
    using repo = openRepo({ repo: args.repo, db: args.db });
    removeSession(repo.loc.repo, repo.db, args.name);
    out(`removed session ${args.name}`);
    return 0;
  },
});

export default command;

if (import.meta.main) await cli(command);
