import type { Database } from "bun:sqlite";
import { existsSync, type FSWatcher, watch } from "node:fs";
import { join } from "node:path";
import { log } from "../log.ts";
import type { Queue } from "../queue/index.ts";
import { progressSql, runtimeSql } from "../store/runtime-sql.ts";

const IGNORED = /^(\.git|\.hyperion)(\/|$)/;
// Temp files the apply engine writes beside their targets before renaming them into place.
const TEMP = /\.hyperion-tmp-[^/]*$/;
const SETTLE_MS = 50;
const OWN_WRITE_WINDOW_MS = 5_000;

/**
 * Watches the working tree while workers run. Hyperion's own applies record themselves; any
 * other modification is recorded as `external`, and a queued change on that path is marked for
 * rebase before apply instead of failing later.
 */
export const watchTree = (repo: string, db: Database, queue: Queue): { close(): void } => {
  const sql = runtimeSql(db);
  const progress = progressSql(db);
  const pending = new Map<string, { kind: string; at: number }>();
  let timer: ReturnType<typeof setTimeout> | undefined;

  const flush = () => {
    timer = undefined;
    const batch = [...pending.entries()];
    pending.clear();
    for (const [path, { kind, at }] of batch) {
      try {
        if (progress.leasedOnPath(path) || sql.appliedSince(path, at - OWN_WRITE_WINDOW_MS)) continue;
        const exists = existsSync(join(repo, path));
        sql.recordExternal(path, kind === "rename" ? (exists ? "created" : "deleted") : "modified", at);
        const marked = queue.markNeedsRebase(path);
        log.info(`external edit: ${path}${marked ? ` (${marked} queued change(s) marked for rebase)` : ""}`);
      } catch (e) {
        log.warn(`watch: ${String(e)}`);
      }
    }
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
      flush();
    },
  };
};
