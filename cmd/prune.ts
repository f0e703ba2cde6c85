import { defineCommand } from "citty";
import { archiveSummary } from "../lib/ops/index.ts";
import { createQueue } from "../lib/queue/index.ts";
import { openRepo, readSecret } from "../lib/store/index.ts";
import { formatArg, repoArgs } from "./_args.ts";
import { out, outJson } from "./_io.ts";
import { cli } from "./_main.ts";

const command = defineCommand({
  meta: {
    name: "prune",
    description: "Apply the configured TTL now: archive finished changes older than queue.archive_after_ms",
  },
  args: {
    ...repoArgs,
    "dry-run": { type: "boolean", description: "Count what would move; move nothing" },
    format: formatArg(["text", "json"], "text"),
  },
  run({ args }) {
    using repo = openRepo({ repo: args.repo, db: args.db });
    const queue = createQueue(repo.db, { secret: readSecret(repo.loc), config: repo.config.queue });
    const ttl = queue.config.archive_after_ms;
    const result = queue.archive({ dryRun: args["dry-run"] });
    if (args.format === "json") outJson({ ...result, older_than_ms: ttl });
    else out(`${archiveSummary(result, ttl)}`);
  },
});

export default command;

if (import.meta.main) await cli(command);
