import { defineCommand } from "citty";
import { archiveSummary, MAX_LIMIT, parseDuration, parseWhole } from "../lib/ops/index.ts";
import { createQueue } from "../lib/queue/index.ts";
import { openRepo, readSecret } from "../lib/store/index.ts";
import { formatArg, repoArgs } from "./_args.ts";
import { out, outJson } from "./_io.ts";
import { cli } from "./_main.ts";

const command = defineCommand({
  meta: {
    name: "archive",
    description:
      "Move finished changes (with their logs) and external edits older than an age to .hyperion/archive/",
  },
  args: {
    ...repoArgs,
    "older-than": {
      type: "string",
      description: "Finished at least this long ago (default: queue.archive_after_ms from config)",
      valueHint: "7d",
    },
    batch: {
      type: "string",
      description: "Changes per transaction (default: queue.archive_batch)",
      valueHint: "N",
    },
    "dry-run": { type: "boolean", description: "Count what would move; move nothing" },
    format: formatArg(["text", "json"], "text"),
  },
  run({ args }) {
    const olderThan = args["older-than"];
    const olderThanMs = olderThan === undefined ? undefined : parseDuration("older-than", olderThan);
    const batch = parseWhole("batch", args.batch, { min: 1, max: MAX_LIMIT });
    using repo = openRepo({ repo: args.repo, db: args.db });
    const queue = createQueue(repo.db, { secret: readSecret(repo.loc), config: repo.config.queue });
    const ttl = olderThanMs ?? queue.config.archive_after_ms;
    const result = queue.archive({ olderThanMs: ttl, batch, dryRun: args["dry-run"] });
    if (args.format === "json") outJson({ ...result, older_than_ms: ttl });
    else out(`${archiveSummary(result, ttl)}`);
  },
});

export default command;

if (import.meta.main) await cli(command);
