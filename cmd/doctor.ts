import { defineCommand } from "citty";
import { renderDoctor, runDoctor } from "../lib/ops/index.ts";
import { formatArg, printJson, repoArgs } from "./_args.ts";
import { main } from "./_main.ts";

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
    if (args.format === "json") printJson(report);
    else process.stdout.write(`${renderDoctor(report)}\n`);
    return report.ok ? 0 : 1;
  },
});

export default command;

if (import.meta.main) await main(command);
