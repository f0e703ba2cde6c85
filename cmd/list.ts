import { defineCommand } from "citty";
import { changeColumns, listings, parseChoice, parseLimit, parseSince, parseText } from "../lib/ops/index.ts";
import { CHANGE_STATUS_VALUES } from "../lib/store/ddl/statuses.ts";
import { openRepo } from "../lib/store/index.ts";
import { listingArgs, printListing } from "./_listing.ts";
import { cli } from "./_main.ts";

const command = defineCommand({
  meta: { name: "list", description: "List the change queue, newest first" },
  args: {
    ...listingArgs,
    status: { type: "string", description: `Only this status: ${CHANGE_STATUS_VALUES.join(", ")}` },
    agent: { type: "string", description: "Only changes from this agent" },
    request: { type: "string", description: "Only changes of this task request", valueHint: "ID" },
  },
  run({ args }) {
    // Every flag is checked before the database is opened: bad input writes nothing.
    const query = {
      status: parseChoice("status", args.status, CHANGE_STATUS_VALUES),
      agent: parseText("agent", args.agent),
      request: parseText("request", args.request),
      since: args.since === undefined ? undefined : parseSince(args.since),
      limit: parseLimit(args.limit),
    };
    using repo = openRepo({ repo: args.repo, db: args.db });
    printListing(args.format, listings(repo.db).changes(query), changeColumns, "no changes");
  },
});

export default command;

if (import.meta.main) await cli(command);
