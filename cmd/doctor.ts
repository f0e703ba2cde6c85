import { defineCommand } from "citty";
import { renderDoctor, runDoctor } from "../lib/ops/index.ts";
import { formatArg, repoArgs } from "./_args.ts";
import { out, outJson } from "./_io.ts";
import { cli } from "./_main.ts";

const command = defineCommand({
  meta: {
    name: "doctor",
    description:
      "Check the database, queue, secret, plan and agents; each finding with its fix (exit 1 on a failure)",
  },
  args: {
    ...repoArgs,
    format: formatArg(["table", "json"], "table"),
    fix: {
      type: "boolean",
      description:
        "Make the safe repairs (migrations, indexes, WAL, checkpoint, stale leases, secret mode), then check again",
    },
    full: { type: "boolean", description: "PRAGMA integrity_check instead of the quicker quick_check" },
  },
  run({ args }) {
    const report = runDoctor({ repo: args.repo, db: args.db, fix: args.fix, full: args.full });
    if (args.format === "json") outJson(report);
    else out(`${renderDoctor(report)}`);
    return report.ok ? 0 : 1;
  },
});

export default command;

if (import.meta.main) await cli(command);
