import { userInfo } from "node:os";
import { defineCommand } from "citty";
import { approveChange } from "../lib/governance/index.ts";
import { formatArg, repoArgs } from "./_args.ts";
import { out, outJson } from "./_io.ts";
import { cli } from "./_main.ts";
import { openQueue } from "./_queue.ts";

const command = defineCommand({
  meta: { name: "approve", description: "Let a change that waits for approval into the queue" },
  args: {
    id: {
      type: "positional",
      required: true,
      description: "Change id (see `hyperion list --status awaiting_approval`)",
    },
    reason: { type: "string", description: "Why (kept in the audit trail)" },
    by: { type: "string", description: "Who approves (default: the current user)", valueHint: "NAME" },
    ...repoArgs,
    format: formatArg(["text", "json"], "text"),
  },
  run({ args }) {
    using q = openQueue({ repo: args.repo, db: args.db });
    approveChange(q.repo.db, q.queue, args.id, args.by ?? userInfo().username, args.reason ?? null);
    const change = q.queue.get(args.id)!;
    if (args.format === "json") return outJson({ id: change.id, status: change.status });
    out(`${change.id} approved: ${change.status}`);
  },
});

export default command;

if (import.meta.main) await cli(command);
