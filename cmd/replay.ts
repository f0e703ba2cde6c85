import { defineCommand } from "citty";
import { replayBackup } from "../lib/ops/index.ts";
import { openRepo, readSecret } from "../lib/store/index.ts";
import { formatArg, repoArgs } from "./_args.ts";
import { emit } from "./_io.ts";
import { cli } from "./_main.ts";

const command = defineCommand({
  meta: {
    name: "replay",
    description: "Re-apply a backup's applied changes, in order, onto a checkout of their base (verified)",
  },
  args: {
    from: {
      type: "string",
      required: true,
      description: "Backup file (`hyperion backup`)",
      valueHint: "FILE",
    },
    onto: {
      type: "string",
      required: true,
      description: "Checkout of the history's base to rebuild (its files are changed)",
      valueHint: "DIR",
    },
    request: { type: "string", description: "Only this request's changes", valueHint: "ID" },
    until: { type: "string", description: "Stop after this change", valueHint: "CHANGE" },
    ...repoArgs,
    format: formatArg(["text", "json"], "text"),
  },
  run({ args }) {
    using repo = openRepo({ repo: args.repo, db: args.db });
    const r = replayBackup({
      backup: args.from,
      onto: args.onto,
      secret: readSecret(repo.loc),
      limits: repo.config.limits,
      request: args.request,
      until: args.until,
    });
    emit(
      args.format,
      r,
      () =>
        `replayed ${r.applied.length} changes onto ${r.onto}: every payload verified, every file as the live run wrote it`,
    );
  },
});

export default command;

if (import.meta.main) await cli(command);
