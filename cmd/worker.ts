import { defineCommand } from "citty";
import { formatArg, repoArgs } from "./_args.ts";
import { cli } from "./_main.ts";
import { runArgs, runFromArgs } from "./_run-args.ts";

const command = defineCommand({
  meta: { name: "worker", description: "Apply queued changes until SIGINT/SIGTERM (a long-lived `run`)" },
  args: { ...repoArgs, ...runArgs, format: formatArg(["text", "json"], "text") },
  run({ args }) {
    return runFromArgs(args, { untilEmpty: false });
  },
});

export default command;

if (import.meta.main) await cli(command);
