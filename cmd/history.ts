import { defineCommand } from "citty";
import {
  listings,
  parseChoice,
  parseLimit,
  parseSince,
  parseText,
  requestColumns,
} from "../lib/ops/index.ts";
import { REQUEST_STATUS_VALUES } from "../lib/store/ddl/requests.ts";
import { openRepo } from "../lib/store/index.ts";
import { listingArgs, printListing } from "./_listing.ts";
import { cli } from "./_main.ts";

const command = defineCommand({
  meta: {
    name: "history",
    description: "List task requests, newest first, with their status and counts of tasks and changes",
  },
  args: {
    ...listingArgs,
    status: { type: "string", description: `Only this status: ${REQUEST_STATUS_VALUES.join(", ")}` },
    agent: { type: "string", description: "Only requests planned by this agent (stub, copilot, ...)" },
    request: { type: "string", description: "Only this task request", valueHint: "ID" },
  },
  run({ args }) {
    const query = {
      status: parseChoice("status", args.status, REQUEST_STATUS_VALUES),
      agent: parseText("agent", args.agent),
      request: parseText("request", args.request),
      since: args.since === undefined ? undefined : parseSince(args.since),
      limit: parseLimit(args.limit),
    };
    using repo = openRepo({ repo: args.repo, db: args.db });
    printListing(args.format, listings(repo.db).requests(query), requestColumns, "no task requests");
  },
});

export default command;

if (import.meta.main) await cli(command);
