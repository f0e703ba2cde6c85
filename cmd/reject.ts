import { userInfo } from "node:os";
import { defineCommand } from "citty";
import { usageError } from "../lib/errors.ts";
import { rejectChange } from "../lib/governance/index.ts";
import { formatArg, repoArgs } from "./_args.ts";
import { out, outJson } from "./_io.ts";
import { cli } from "./_main.ts";
import { openQueue } from "./_queue.ts";

const command = defineCommand({
  meta: {
    name: "reject",
    description: "End a change that waits for approval (or is still queued); it is never applied",
  },
  args: {
    id: { type: "positional", required: true, description: "Change id" },
    reason: { type: "string", description: "Why (required; kept in the audit trail)" },
    by: { type: "string", description: "Who rejects (default: the current user)", valueHint: "NAME" },
    ...repoArgs,
    format: formatArg(["text", "json"], "text"),
  },
  run({ args }) {
    if (!args.reason?.trim())
      throw usageError("E_USAGE", "a rejection needs --reason", 'pass --reason "why"');
    using q = openQueue({ repo: args.repo, db: args.db });
    rejectChange(q.repo.db, q.queue, args.id, args.by ?? userInfo().username, args.reason);
    const change = q.queue.get(args.id)!;
    if (args.format === "json") return outJson({ id: change.id, status: change.status });
    out(`${change.id} rejected`);
  },
});

export default command;

if (import.meta.main) await cli(command);
