import { userInfo } from "node:os";
import { defineCommand } from "citty";
import { usageError } from "../lib/errors.ts";
import { type RolledBack, rollbackOne, rollbackRequest } from "../lib/governance/index.ts";
import { formatArg, repoArgs } from "./_args.ts";
import { outJson, outText, say } from "./_io.ts";
import { cli } from "./_main.ts";
import { openQueue } from "./_queue.ts";

const command = defineCommand({
  meta: {
    name: "rollback",
    description: "Undo an applied change, or a whole request (--request), restoring the files",
  },
  args: {
    id: { type: "positional", required: false, description: "Change id" },
    request: {
      type: "string",
      description: "Roll back every applied change of this request, newest first",
      valueHint: "ID",
    },
    force: { type: "boolean", description: "Also roll back files changed since, by three-way merge" },
    by: { type: "string", description: "Who rolls back (default: the current user)", valueHint: "NAME" },
    ...repoArgs,
    format: formatArg(["text", "json"], "text"),
  },
  run({ args }) {
    if (Boolean(args.id) === Boolean(args.request)) {
      throw usageError("E_USAGE", "name one change id or --request ID", "run `hyperion rollback --help`");
    }
    using q = openQueue({ repo: args.repo, db: args.db });
    const opts = { force: Boolean(args.force), actor: args.by ?? userInfo().username };
    const { done, error } = args.request
      ? rollbackRequest(q.repo, q.queue, args.request, opts)
      : { done: [rollbackOne(q.repo, q.queue, args.id!, opts)], error: null };
    const line = (r: RolledBack) =>
      `rolled back ${r.id}: ${r.files.join(", ")}${r.merged.length ? ` (merged: ${r.merged.join(", ")})` : ""}${r.commit ? ` [${r.commit.slice(0, 12)}]` : ""}`;
    if (args.format === "json") outJson({ rolled_back: done, error: error?.toJSON() ?? null });
    else for (const r of done) outText(line(r));
    if (error) {
      say(error.oneLine());
      return error.exitCode;
    }
  },
});

export default command;

if (import.meta.main) await cli(command);
