import { defineCommand } from "citty";
import { summarize, summaryMarkdown } from "../lib/governance/index.ts";
import { formatArg, repoArgs } from "./_args.ts";
import { out, outJson } from "./_io.ts";
import { cli } from "./_main.ts";
import { openQueue } from "./_queue.ts";

const command = defineCommand({
  meta: {
    name: "summary",
    description: "What a request or change asked, planned, applied, validated and who approved it",
  },
  args: {
    id: { type: "positional", required: true, description: "Request id or change id" },
    ...repoArgs,
    format: formatArg(["markdown", "json"], "markdown"),
  },
  run({ args }) {
    using q = openQueue({ repo: args.repo, db: args.db });
    const s = summarize(q.repo.db, q.queue, args.id);
    if (args.format === "json") return outJson(s);
    out(`${summaryMarkdown(s)}`);
  },
});

export default command;

if (import.meta.main) await cli(command);
