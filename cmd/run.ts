import { defineCommand } from "citty";
import { startRun } from "../lib/runtime/index.ts";
import { formatArg, repoArgs } from "./_args.ts";
import { main } from "./_main.ts";
import { intArg, onSignals, runArgs, secondsArg } from "./_run-args.ts";

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
  async run({ args }) {
    const runner = startRun({
      repo: args.repo,
      db: args.db,
      workers: intArg(args.workers, "--workers", 0),
      untilEmpty: Boolean(args["until-empty"]),
      maxChanges: intArg(args["max-changes"], "--max-changes", 1),
      progressIntervalMs: secondsArg(args["progress-interval"], "--progress-interval", 2),
      format: args.format,
      watch: args.watch,
    });
    onSignals(runner.stop, runner.kill);
    return (await runner.done).exit_code;
  },
});

export default command;

if (import.meta.main) await main(command);
