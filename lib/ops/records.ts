import { z } from "zod";
import { REQUEST_STATUS_VALUES } from "../store/ddl/requests.ts";
import { CHANGE_STATUS_VALUES } from "../store/ddl/statuses.ts";
import { ChangeListRow, DeadLetterListRow, FileModListRow, RequestListRow } from "../store/listings-sql.ts";
import { LogRow } from "../store/queue/rows.ts";

/*
 * What `--format json` prints for each listing: the database's column names, times as ISO-8601
 * (UTC) strings, 0/1 flags as booleans. Scripts may rely on these; fields may be added.
 */

const Iso = z.iso.datetime().describe("ISO-8601 time, UTC.");
const int = z.number().int();

export const ChangeRecord = ChangeListRow.extend({
  status: z.enum(CHANGE_STATUS_VALUES),
  needs_rebase: z.boolean(),
  available_at: Iso,
  leased_until: Iso.nullable(),
  enqueued_at: Iso,
  leased_at: Iso.nullable(),
  finished_at: Iso.nullable(),
  updated_at: Iso,
  held_for: z
    .array(z.string())
    .describe("Why a change awaiting approval is held (its risk reasons); empty otherwise."),
  waiting_for: z
    .string()
    .nullable()
    .describe("The held change a queued change waits behind in line (it is stacked on it); null otherwise."),
}).meta({ title: "ChangeRecord", description: "One change of `hyperion list --format json`." });
export type ChangeRecord = z.infer<typeof ChangeRecord>;

export const DeadLetterRecord = DeadLetterListRow.extend({ dead_at: Iso }).meta({
  title: "DeadLetterRecord",
  description:
    "One dead letter of `hyperion dead-letters --format json`, with its change's task, request and agent.",
});
export type DeadLetterRecord = z.infer<typeof DeadLetterRecord>;

/** A request's changes by status (statuses with none are 0), and its planned tasks. */
export const RequestCounts = z.object({
  tasks: int,
  changes: int,
  queued: int,
  leased: int,
  applied: int,
  dead: int,
  awaiting_approval: int,
  rejected: int,
  rolled_back: int,
});
export type RequestCounts = z.infer<typeof RequestCounts>;

export const RequestRecord = RequestListRow.omit({ tasks: true })
  .extend({
    status: z
      .enum(REQUEST_STATUS_VALUES)
      .describe("Stored until enqueued; from then on it follows the request's changes."),
    fallback: z.boolean(),
    created_at: Iso,
    updated_at: Iso,
    counts: RequestCounts,
  })
  .meta({ title: "RequestRecord", description: "One task request of `hyperion history --format json`." });
export type RequestRecord = z.infer<typeof RequestRecord>;

export const LogRecord = LogRow.extend({
  ts: Iso,
  data: z.unknown().describe("The event's JSON data (the stored text when it does not parse)."),
}).meta({ title: "LogRecord", description: "One event of `hyperion logs --format json`." });
export type LogRecord = z.infer<typeof LogRecord>;

export const FileModRecord = FileModListRow.extend({ ts: Iso }).meta({
  title: "FileModRecord",
  description: "One file modification of `hyperion file-mods --format json`.",
});
export type FileModRecord = z.infer<typeof FileModRecord>;

/** Every listing's record schema, by command. */
export const recordSchemas = {
  list: ChangeRecord,
  "dead-letters": DeadLetterRecord,
  history: RequestRecord,
  logs: LogRecord,
  "file-mods": FileModRecord,
} as const;
