import { defineCommand } from "citty";
import { EXIT, usageError } from "../lib/errors.ts";
import {
  followLogs,
  LOG_LEVELS,
  type LogRecord,
  levelsFrom,
  listings,
  logColumns,
  parseChoice,
  parseLimit,
  parseSince,
  parseText,
  parseWhole,
} from "../lib/ops/index.ts";
import { openRepo } from "../lib/store/index.ts";
import { io } from "./_io.ts";
import { listingArgs, printListing } from "./_listing.ts";
import { cli } from "./_main.ts";
import { onSignals } from "./_run-args.ts";

/** One event as a line: compact JSON (NDJSON), or text. */
const line = (format: string, r: LogRecord): string =>
  format === "json"
    ? JSON.stringify(r)
    : `${r.id} ${r.ts} ${r.level} ${r.change_id ?? "-"} ${r.event}${r.worker ? ` [${r.worker}]` : ""} ${JSON.stringify(r.data)}`;

const command = defineCommand({
  meta: {
    name: "logs",
    description: "Show queue and worker events (the newest N, oldest first), or --follow them",
  },
  args: {
    ...listingArgs,
    change: { type: "string", description: "Only events of this change", valueHint: "ID" },
    level: { type: "string", description: `Only this level and more severe: ${LOG_LEVELS.join(", ")}` },
    after: {
      type: "string",
      description: "Only events after this event id, oldest first (a shipper's cursor)",
      valueHint: "EVENT_ID",
    },
    follow: {
      type: "boolean",
      description: "Keep printing each new event once as it commits (one JSON line each with --format json)",
    },
  },
  async run({ args }) {
    const level = parseChoice("level", args.level, LOG_LEVELS);
    const filters = {
      change: parseText("change", args.change),
      levels: level === undefined ? undefined : levelsFrom(level),
    };
    if (args.since !== undefined && (args.after !== undefined || args.follow)) {
      throw usageError(
        "E_USAGE",
        "--since cannot be combined with --after or --follow",
        "start from --after EVENT_ID",
      );
    }
    const since = args.since === undefined ? undefined : parseSince(args.since);
    const limit = parseLimit(args.limit);
    const after = parseWhole("after", args.after, { min: 0 });
    using repo = openRepo({ repo: args.repo, db: args.db });
    if (!args.follow) {
      const view = listings(repo.db);
      const rows =
        after === undefined
          ? view.logs({ ...filters, since, limit })
          : view.logsAfter({ ...filters, afterId: after, limit });
      printListing(args.format, rows, logColumns, "no events");
      return EXIT.ok;
    }
    // Without a cursor, follow from now on: the newest event already recorded is the start.
    const start = after ?? listings(repo.db).logs({ limit: 1 })[0]?.id ?? 0;
    const stop = new AbortController();
    const off = onSignals(
      () => stop.abort(),
      () => stop.abort(),
    );
    const out = io().stdout;
    try {
      await followLogs({
        db: repo.db,
        dbPath: repo.loc.db,
        query: filters,
        after: start,
        emit: (r) => out.write(`${line(args.format, r)}\n`),
        stop: stop.signal,
      });
    } finally {
      off();
    }
    return EXIT.interrupted;
  },
});

export default command;

if (import.meta.main) await cli(command);
