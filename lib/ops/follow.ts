import type { Database } from "bun:sqlite";
import { type FSWatcher, watch } from "node:fs";
import { basename, dirname } from "node:path";
import type { LogQuery } from "../store/listings-sql.ts";
import { listings } from "./listings.ts";
import type { LogRecord } from "./records.ts";

/** Events read per query while catching up. */
const PAGE = 1_000;

/**
 * Streams log events as they commit, each once, in id order: first everything after `after`,
 * then each new event. Ids commit in order (SQLite has one writer at a time), so a cursor never
 * skips one. A write to the database's files wakes it (fs.watch on their folder); a poll
 * catches whatever the watch misses. Returns the last id emitted, the cursor to resume from.
 */
export const followLogs = async (opts: {
  db: Database;
  dbPath: string;
  query: Omit<LogQuery, "afterId" | "limit" | "since" | "sinceId">;
  after: number;
  emit: (r: LogRecord) => void;
  stop: AbortSignal;
  pollMs?: number;
}): Promise<number> => {
  const view = listings(opts.db);
  let after = opts.after;
  let wake = () => {};
  let watcher: FSWatcher | null = null;
  try {
    const name = basename(opts.dbPath);
    watcher = watch(dirname(opts.dbPath), (_, file) => {
      if (file?.startsWith(name)) wake();
    });
  } catch {
    // No watch here (a file system without inotify): the poll alone.
  }
  try {
    while (!opts.stop.aborted) {
      const rows = view.logsAfter({ ...opts.query, afterId: after, limit: PAGE });
      for (const r of rows) {
        opts.emit(r);
        after = r.id;
      }
      if (rows.length === PAGE) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, opts.pollMs ?? 500);
        function done() {
          clearTimeout(timer);
          opts.stop.removeEventListener("abort", done);
          resolve();
        }
        wake = done;
        opts.stop.addEventListener("abort", done, { once: true });
      });
    }
  } finally {
    watcher?.close();
  }
  return after;
};
