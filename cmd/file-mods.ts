import { defineCommand } from "citty";
import { fileModColumns, listings, parseLimit, parseSince, parseText } from "../lib/ops/index.ts";
import { openRepo } from "../lib/store/index.ts";
import { listingArgs, printListing } from "./_listing.ts";
import { cli } from "./_main.ts";

const command = defineCommand({
  meta: {
    name: "file-mods",
    description: "Audit trail of files written: by changes, rollbacks and outside edits",
  },
  args: {
    ...listingArgs,
    change: { type: "string", description: "Only files written by this change", valueHint: "ID" },
    path: { type: "string", description: "Only this file, or a directory's files when it ends in '/'" },
    agent: { type: "string", description: "Only files written by this agent's changes" },
    request: { type: "string", description: "Only files written for this task request", valueHint: "ID" },
  },
  run({ args }) {
    const path = parseText("path", args.path);
    const query = {
      change: parseText("change", args.change),
      ...(path?.endsWith("/") ? { pathPrefix: path } : { path }),
      agent: parseText("agent", args.agent),
      request: parseText("request", args.request),
      since: args.since === undefined ? undefined : parseSince(args.since),
      limit: parseLimit(args.limit),
    };
    using repo = openRepo({ repo: args.repo, db: args.db });
    printListing(args.format, listings(repo.db).fileMods(query), fileModColumns, "no file modifications");
  },
});

export default command;

if (import.meta.main) await cli(command);
