import { defineCommand } from "citty";
import { startRun } from "../lib/runtime/index.ts";
import { formatArg, repoArgs } from "./_args.ts";
import { main } from "./_main.ts";
import { intArg, onSignals, runArgs, secondsArg } from "./_run-args.ts";

const command = defineCommand({
  meta: { name: "worker", description: "Apply queued changes until SIGINT/SIGTERM (a long-lived `run`)" },
  args: { ...repoArgs, ...runArgs, format: formatArg(["text", "json"], "text") },
  async run({ args }) {
    const runner = startRun({
      repo: args.repo,
      db: args.db,
      workers: intArg(args.workers, "--workers", 0),
      untilEmpty: false,
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
