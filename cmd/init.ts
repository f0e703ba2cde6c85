import { defineCommand } from "citty";
import { initRepo } from "../lib/store/index.ts";
import { formatArg, repoArgs } from "./_args.ts";
import { out, outJson } from "./_io.ts";
import { cli } from "./_main.ts";

const command = defineCommand({
  meta: { name: "init", description: "Create .hyperion/ in a repository: database, signing secret, config" },
  args: { ...repoArgs, format: formatArg(["text", "json"], "text") },
  run({ args }) {
    const result = initRepo({ repo: args.repo, db: args.db });
    if (args.format === "json") return outJson(result);
    const lines = [
      ...result.created.map((p) => `created  ${p}`),
      ...result.existing.map((p) => `exists   ${p}`),
      result.gitignore ? "ignored  .hyperion/ in .gitignore" : "",
      `ready: ${result.repo}`,
    ];
    out(`${lines.filter(Boolean).join("\n")}`);
  },
});

export default command;

if (import.meta.main) await cli(command);
