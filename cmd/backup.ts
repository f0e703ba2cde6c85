import { defineCommand } from "citty";
import { backupDir, parseLimit, takeBackup } from "../lib/ops/index.ts";
import { openRepo } from "../lib/store/index.ts";
import { formatArg, repoArgs } from "./_args.ts";
import { emit } from "./_io.ts";
import { cli } from "./_main.ts";

const command = defineCommand({
  meta: {
    name: "backup",
    description: "Copy the database while workers run (checked with integrity_check), to FILE or --to-dir",
  },
  args: {
    file: { type: "positional", required: false, description: "Backup file to write (never overwritten)" },
    "to-dir": {
      type: "string",
      description: "Write a new, time-named backup into DIR and keep the newest --keep (default: backup.dir)",
      valueHint: "DIR",
    },
    keep: { type: "string", description: "Backups --to-dir keeps (default: backup.keep, 7)", valueHint: "N" },
    ...repoArgs,
    format: formatArg(["text", "json"], "text"),
  },
  run({ args }) {
    const keep = args.keep === undefined ? undefined : parseLimit(args.keep, 7, "keep");
    using repo = openRepo({ repo: args.repo, db: args.db });
    const toDir =
      args["to-dir"] ??
      (args.file === undefined ? (backupDir(repo.loc.repo, repo.config) ?? undefined) : undefined);
    const r = takeBackup(repo, { file: args.file, toDir, keep: keep ?? repo.config.backup.keep });
    emit(args.format, r, () =>
      [
        `backup ${r.file}: integrity ok, ${r.applied} applied changes, key ${r.key_fingerprint}`,
        ...r.removed.map((f) => `removed ${f}`),
      ].join("\n"),
    );
  },
});

export default command;

if (import.meta.main) await cli(command);
