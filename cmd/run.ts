import { defineCommand } from "citty";
import { formatArg, repoArgs } from "./_args.ts";
import { main } from "./_main.ts";
import { intArg, runArgs, runFromArgs } from "./_run-args.ts";

const command = defineCommand({
  meta: {
    name: "run",
    description: "Drain the queue with a pool of workers (exit 0 all applied, 3 some dead or held)",
  },
  args: {
    ...repoArgs,
    ...runArgs,
    "until-empty": { type: "boolean", description: "Exit once nothing is queued or leased" },
    "max-changes": { type: "string", description: "Stop after handling N changes", valueHint: "N" },
    format: formatArg(["text", "json"], "text"),
  },
  run({ args }) {
    return runFromArgs(args, {
      untilEmpty: Boolean(args["until-empty"]),
      maxChanges: intArg(args["max-changes"], "--max-changes", 1),
    });
  },
});

export default command;

if (import.meta.main) await main(command);
