import { defineCommand } from "citty";
import { deadLetterColumns, listings, parseLimit, parseSince, parseText } from "../lib/ops/index.ts";
import { openRepo } from "../lib/store/index.ts";
import { listingArgs, printListing } from "./_listing.ts";
import { cli } from "./_main.ts";

const command = defineCommand({
  meta: { name: "dead-letters", description: "List changes that failed for good, newest first, with why" },
  args: {
    ...listingArgs,
    agent: { type: "string", description: "Only changes from this agent" },
    request: { type: "string", description: "Only changes of this task request", valueHint: "ID" },
  },
  run({ args }) {
    const query = {
      agent: parseText("agent", args.agent),
      request: parseText("request", args.request),
      since: args.since === undefined ? undefined : parseSince(args.since),
      limit: parseLimit(args.limit),
    };
    using repo = openRepo({ repo: args.repo, db: args.db });
    printListing(args.format, listings(repo.db).deadLetters(query), deadLetterColumns, "no dead letters");
  },
});

export default command;

if (import.meta.main) await cli(command);
