import { defineCommand } from "citty";
import { cli } from "./_main.ts";

const command = defineCommand({
  meta: { name: "session", description: "Store, list and remove the agents' resumable sessions" },
  subCommands: {
    init: () => import("./session-init.ts").then((m) => m.default),
    list: () => import("./session-list.ts").then((m) => m.default),
    rm: () => import("./session-rm.ts").then((m) => m.default),
  },
});

export default command;

if (import.meta.main) await cli(command);
