import { defineCommand } from "citty";
import { parseWhole } from "../lib/ops/filters.ts";
import { formatArg, repoArgs } from "./_args.ts";
import { cli } from "./_main.ts";
import { runArgs, runFromArgs } from "./_run-args.ts";

const command = defineCommand({
  meta: {
    name: "run",
    description:
      "Drain the queue with a pool of workers and return (exit 0 all applied; 3 a change needs a person; 130 interrupted)",
  },
  args: {
    ...repoArgs,
    ...runArgs,
    "until-empty": {
      type: "boolean",
      default: true,
      description: "Exit once nothing is queued or leased (always; `hyperion worker` keeps running)",
    },
    "max-changes": { type: "string", description: "Stop after handling N changes", valueHint: "N" },
    batch: {
      type: "string",
      description:
        "Validate up to N changes with one run of the plan's commands, bisecting a failure (default: config validation.batch.max, 8)",
      valueHint: "N",
    },
    format: formatArg(["text", "json"], "text"),
  },
  run({ args }) {
    return runFromArgs(args, {
      untilEmpty: true,
      maxChanges: parseWhole("max-changes", args["max-changes"], { min: 1 }),
      batch: parseWhole("batch", args.batch, { min: 1, max: 256 }),
    });
  },
});

export default command;

if (import.meta.main) await cli(command);
