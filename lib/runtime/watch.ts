import type { Database } from "bun:sqlite";
import { type FSWatcher, readFileSync, statSync, watch } from "node:fs";
import { join } from "node:path";
import { log } from "../log.ts";
import { sha256Hex } from "../patch/hash.ts";
import type { Queue } from "../queue/index.ts";
import { progressSql, runtimeSql } from "../store/runtime-sql.ts";

const IGNORED = /^(\.git|\.hyperion)(\/|$)/;
// Temp files the apply engine writes beside their targets before renaming them into place.
const TEMP = /\.hyperion-tmp-[^/]*$/;
const SETTLE_MS = 50;

/** A path's state on disk: its content's sha256, null when absent, "dir" for a directory. */
const stateOf = (abs: string): string | null | "dir" => {
  try {
    if (statSync(abs).isDirectory()) return "dir";
    return sha256Hex(readFileSync(abs));
  } catch {
    return null;
  }
};

/**
 * Watches the working tree while workers run. An event is Hyperion's own write when the path
 * holds exactly what Hyperion's last apply or rollback of it left there (compared by content
 * hash, not by time, so an outside edit right after an apply is never taken for the apply);
 * any other state is recorded as `external`, and a queued change on that path is marked for
 * rebase before apply instead of failing later. While a change is leased on the path its write
 * is in flight: a state that is neither Hyperion's last write nor the in-flight one is recorded
 * at once, any other waits until the lease ends and is judged then.
 */
export const watchTree = (repo: string, db: Database, queue: Queue): { close(): void } => {
  const sql = runtimeSql(db);
  const progress = progressSql(db);
  const pending = new Map<string, { kind: string; at: number }>();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let closed = false;

  const flush = () => {
    timer = undefined;
    const batch = [...pending.entries()];
    pending.clear();
    for (const [path, seen] of batch) {
      try {
        const now = stateOf(join(repo, path));
        if (now === "dir") continue;
        const own = sql.lastOwnWrites(path, 2);
        if (!closed && progress.leasedOnPath(path)) {
          // A write is in flight: the file holds what Hyperion's last write left, what the
          // in-flight one found there (its intent is on record, its rename not yet done: linking
          // the replaced file aside is an event too), what it writes, or nothing for the instant a
          // replaced file is moved aside; then judge again once the lease ends. Anything else is
          // an outside edit, recorded now.
          if (own.length === 0 || own.includes(now) || now === null || now === sql.lastOwnBefore(path)) {
            if (!pending.has(path)) pending.set(path, seen);
            continue;
          }
        } else if (own[0] === now) continue;
        const kind = now === null ? "deleted" : seen.kind === "rename" ? "created" : "modified";
        sql.recordExternal(path, kind, seen.at);
        const marked = queue.markNeedsRebase(path);
        log.info(`external edit: ${path}${marked ? ` (${marked} queued change(s) marked for rebase)` : ""}`);
      } catch (e) {
        log.warn(`watch: ${String(e)}`);
      }
    }
    if (pending.size > 0 && !closed) timer = setTimeout(flush, SETTLE_MS);
  };

  let watcher: FSWatcher | undefined;
  try {
    watcher = watch(repo, { recursive: true }, (event, filename) => {
      if (!filename) return;
      const path = filename.toString().split("\\").join("/");
      if (IGNORED.test(path) || TEMP.test(path)) return;
      pending.set(path, { kind: event, at: Date.now() });
      timer ??= setTimeout(flush, SETTLE_MS);
    });
  } catch (e) {
    log.warn(`cannot watch ${repo}: ${String(e)}; external edits will not be recorded`);
  }
  return {
    close: () => {
      watcher?.close();
      if (timer) clearTimeout(timer);
      closed = true;
      flush();
    },
  };
};
