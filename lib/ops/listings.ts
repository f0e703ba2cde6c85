import type { Database } from "bun:sqlite";
import { heldReasons } from "../governance/risk.ts";
import { CHANGE_STATUS_VALUES } from "../store/ddl/statuses.ts";
import {
  type ChangeQuery,
  type DeadLetterQuery,
  type FileModQuery,
  type ListingsSql,
  type LogQuery,
  listingsSql,
  type RequestQuery,
} from "../store/listings-sql.ts";
import { queueStatements } from "../store/queue/statements.ts";
import {
  ChangeRecord,
  DeadLetterRecord,
  FileModRecord,
  LogRecord,
  type RequestCounts,
  RequestRecord,
} from "./records.ts";
import { iso, isoOrNull } from "./time.ts";

const sqlCache = new WeakMap<Database, ListingsSql>();
const sqlFor = (db: Database): ListingsSql => {
  const cached = sqlCache.get(db);
  if (cached) return cached;
  const made = listingsSql(db);
  sqlCache.set(db, made);
  return made;
};

const parseData = (text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
};

const logRecord = (r: ReturnType<ListingsSql["logs"]>[number]): LogRecord =>
  LogRecord.parse({ ...r, ts: iso(r.ts), data: parseData(r.data) });

/** The operator's read-only views of one database, as JSON-ready records. */
export const listings = (db: Database) => {
  const sql = sqlFor(db);
  return {
    changes: (q: ChangeQuery): ChangeRecord[] =>
      sql.changes(q).map((r) =>
        ChangeRecord.parse({
          ...r,
          needs_rebase: r.needs_rebase === 1,
          available_at: iso(r.available_at),
          leased_until: isoOrNull(r.leased_until),
          enqueued_at: iso(r.enqueued_at),
          leased_at: isoOrNull(r.leased_at),
          finished_at: isoOrNull(r.finished_at),
          updated_at: iso(r.updated_at),
          held_for:
            r.status === "awaiting_approval" ? heldReasons(parseData(sql.heldFor(r.id) ?? "null")) : [],
          waiting_for: r.status === "queued" ? queueStatements(db).waitingFor(r.id) : null,
        }),
      ),
    deadLetters: (q: DeadLetterQuery): DeadLetterRecord[] =>
      sql.deadLetters(q).map((r) => DeadLetterRecord.parse({ ...r, dead_at: iso(r.dead_at) })),
    requests: (q: RequestQuery): RequestRecord[] =>
      sql.requests(q).map(({ tasks, ...r }) => {
        const byStatus = sql.changeCounts(r.id);
        const counts = Object.fromEntries(CHANGE_STATUS_VALUES.map((s) => [s, byStatus[s] ?? 0]));
        const changes = Object.values(byStatus).reduce((a, b) => a + b, 0);
        return RequestRecord.parse({
          ...r,
          fallback: r.fallback === 1,
          created_at: iso(r.created_at),
          updated_at: iso(r.updated_at),
          counts: { tasks, changes, ...counts } as RequestCounts,
        });
      }),
    logs: (q: LogQuery): LogRecord[] => sql.logs(q).map(logRecord),
    /** Events after a cursor, oldest first. */
    logsAfter: (q: LogQuery): LogRecord[] => sql.logsAfter(q).map(logRecord),
    fileMods: (q: FileModQuery): FileModRecord[] =>
      sql.fileMods(q).map((r) => FileModRecord.parse({ ...r, ts: iso(r.ts) })),
  };
};
export type Listings = ReturnType<typeof listings>;
