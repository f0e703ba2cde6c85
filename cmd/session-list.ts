import { defineCommand } from "citty";
import { type SessionView, viewSession } from "../lib/agents/index.ts";
import type { Column } from "../lib/ops/index.ts";
import { openRepo, sessionsSql } from "../lib/store/index.ts";
import { formatArg, repoArgs } from "./_args.ts";
import { printListing } from "./_listing.ts";
import { cli } from "./_main.ts";

const COLUMNS: Column<SessionView>[] = [
  { header: "name", value: (s) => s.name },
  { header: "agent", value: (s) => s.agent },
  { header: "role", value: (s) => s.role ?? "any" },
  { header: "token", value: (s) => s.token },
  { header: "started", value: (s) => (s.started ? "yes" : "no") },
  { header: "all tools", value: (s) => (s.allow_all_tools ? "yes" : "no") },
  { header: "last used", value: (s) => s.last_used_at },
];

const command = defineCommand({
  meta: { name: "list", description: "List the stored agent sessions (tokens masked)" },
  args: { ...repoArgs, format: formatArg(["table", "json"], "table") },
  run({ args }) {
    using repo = openRepo({ repo: args.repo, db: args.db });
    const rows = sessionsSql(repo.db).list(1_000).map(viewSession);
    printListing(
      args.format,
      rows,
      COLUMNS,
      "no stored sessions (store one with `hyperion session init --resume=TOKEN`)",
    );
    return 0;
  },
});

export default command;

if (import.meta.main) await cli(command);
