import { defineCommand } from "citty";
import {
  LOG_LEVELS,
  levelsFrom,
  listings,
  logColumns,
  parseChoice,
  parseLimit,
  parseSince,
  parseText,
} from "../lib/ops/index.ts";
import { openRepo } from "../lib/store/index.ts";
import { listingArgs, printListing } from "./_listing.ts";
import { cli } from "./_main.ts";

const command = defineCommand({
  meta: { name: "logs", description: "Show queue and worker events (the newest N, oldest first)" },
  args: {
    ...listingArgs,
    change: { type: "string", description: "Only events of this change", valueHint: "ID" },
    level: { type: "string", description: `Only this level and more severe: ${LOG_LEVELS.join(", ")}` },
  },
  run({ args }) {
    const level = parseChoice("level", args.level, LOG_LEVELS);
    const query = {
      change: parseText("change", args.change),
      levels: level === undefined ? undefined : levelsFrom(level),
      since: args.since === undefined ? undefined : parseSince(args.since),
      limit: parseLimit(args.limit),
    };
    using repo = openRepo({ repo: args.repo, db: args.db });
    printListing(args.format, listings(repo.db).logs(query), logColumns, "no events");
  },
});

export default command;

if (import.meta.main) await cli(command);
