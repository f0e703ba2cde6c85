import { defineCommand } from "citty";
import pkg from "../package.json" with { type: "json" };

/** The root: every command lives in its own file and loads only when it runs. */
export const root = defineCommand({
  meta: {
    name: "hyperion",
    version: pkg.version,
    description: "Many coding agents change one repository at once, through a SQLite merge queue",
  },
  subCommands: {
    init: () => import("./init.ts").then((m) => m.default),
    schema: () => import("./schema.ts").then((m) => m.default),
    plan: () => import("./plan.ts").then((m) => m.default),
    request: () => import("./request.ts").then((m) => m.default),
    answer: () => import("./answer.ts").then((m) => m.default),
    demo: () => import("./demo.ts").then((m) => m.default),
    session: () => import("./session.ts").then((m) => m.default),
    enqueue: () => import("./enqueue.ts").then((m) => m.default),
    run: () => import("./run.ts").then((m) => m.default),
    worker: () => import("./worker.ts").then((m) => m.default),
    approve: () => import("./approve.ts").then((m) => m.default),
    reject: () => import("./reject.ts").then((m) => m.default),
    retry: () => import("./retry.ts").then((m) => m.default),
    rollback: () => import("./rollback.ts").then((m) => m.default),
    summary: () => import("./summary.ts").then((m) => m.default),
    list: () => import("./list.ts").then((m) => m.default),
    "dead-letters": () => import("./dead-letters.ts").then((m) => m.default),
    history: () => import("./history.ts").then((m) => m.default),
    logs: () => import("./logs.ts").then((m) => m.default),
    "file-mods": () => import("./file-mods.ts").then((m) => m.default),
    "queue-metrics": () => import("./queue-metrics.ts").then((m) => m.default),
    doctor: () => import("./doctor.ts").then((m) => m.default),
    tui: () => import("./tui.ts").then((m) => m.default),
    archive: () => import("./archive.ts").then((m) => m.default),
    prune: () => import("./prune.ts").then((m) => m.default),
    export: () => import("./export.ts").then((m) => m.default),
    backup: () => import("./backup.ts").then((m) => m.default),
    replay: () => import("./replay.ts").then((m) => m.default),
  },
});
