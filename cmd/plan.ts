import { defineCommand } from "citty";
import { cli } from "./_main.ts";

const command = defineCommand({
  meta: { name: "plan", description: "Check and approve the repository's WORKPLAN.md" },
  subCommands: {
    check: () => import("./plan-check.ts").then((m) => m.default),
    approve: () => import("./plan-approve.ts").then((m) => m.default),
  },
});

export default command;

if (import.meta.main) await cli(command);
