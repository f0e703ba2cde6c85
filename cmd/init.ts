import { defineCommand } from "citty";
import { initRepo } from "../lib/store/index.ts";
import { formatArg, printJson, repoArgs } from "./_args.ts";
import { main } from "./_main.ts";

const command = defineCommand({
  meta: { name: "init", description: "Create .hyperion/ in a repository: database, signing secret, config" },
  args: { ...repoArgs, format: formatArg(["text", "json"], "text") },
  run({ args }) {
    const result = initRepo({ repo: args.repo, db: args.db });
    if (args.format === "json") return printJson(result);
    const lines = [
      ...result.created.map((p) => `created  ${p}`),
      ...result.existing.map((p) => `exists   ${p}`),
      result.gitignore ? "ignored  .hyperion/ in .gitignore" : "",
      `ready: ${result.repo}`,
    ];
    process.stdout.write(`${lines.filter(Boolean).join("\n")}\n`);
  },
});

export default command;

if (import.meta.main) await main(command);
