import { defineCommand } from "citty";
import { formatArg, repoArgs } from "./_args.ts";
import { out, outJson } from "./_io.ts";
import { cli } from "./_main.ts";
import { openQueue } from "./_queue.ts";

const command = defineCommand({
  meta: { name: "retry", description: "Requeue a dead letter (its attempts start again)" },
  args: {
    id: { type: "positional", required: true, description: "Change id (see `hyperion dead-letters`)" },
    ...repoArgs,
    format: formatArg(["text", "json"], "text"),
  },
  run({ args }) {
    using q = openQueue({ repo: args.repo, db: args.db });
    q.queue.retry(args.id);
    const change = q.queue.get(args.id)!;
    if (args.format === "json") return outJson({ id: change.id, status: change.status });
    out(`${change.id} requeued`);
  },
});

export default command;

if (import.meta.main) await cli(command);
