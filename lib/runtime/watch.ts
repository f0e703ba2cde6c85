import type { Database } from "bun:sqlite";
import { type FSWatcher, lstatSync, readdirSync, readFileSync, watch } from "node:fs";
import { join } from "node:path";
import { log } from "../log.ts";
import { sha256Hex } from "../patch/hash.ts";
import type { Queue } from "../queue/index.ts";
import { type PathFacts, runtimeSql, watchSql } from "../store/runtime-sql.ts";

const IGNORED = /^(\.git|\.hyperion)(\/|$)/;
// Temp files the apply engine writes beside their targets before renaming them into place.
const TEMP = /\.hyperion-tmp-[^/]*$/;
const SETTLE_MS = 50;

/** A path's state on disk: its content's sha256, null when absent, "dir" for a directory. */
const stateOf = (abs: string): string | null | "dir" => {
  try {
    return sha256Hex(readFileSync(abs)); // one open and read: no stat first
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EISDIR" ? "dir" : null;
  }
};

type State = string | null;

/**
 * How the watcher judges a path's state: "own" when it is Hyperion's last write, "wait" to judge
 * it again at the next flush, "external" to record it as an outside edit.
 */
export const verdict = (
  now: State,
  f: PathFacts,
  mark: number,
  closing: boolean,
): "own" | "wait" | "external" => {
  const [last, prior] = f.own;
  if (!closing && f.leased) {
    // A write is in flight: the file holds what Hyperion's last write left, what the in-flight
    // one found there (its intent is on record, its rename not yet done: linking the replaced
    // file aside is an event too), what it writes, or nothing for the instant a replaced file is
    // moved aside; then judge again once the lease ends. Anything else is an outside edit, now.
    if (!last || now === null || now === last.after || now === prior?.after || now === last.before)
      return "wait";
  } else if (last && now === last.after) return "own";
  // Writes of this path recorded after `mark` may have happened after the state was read: a state
  // one of them found or left is judged again, once the database has caught up with the file.
  if (!closing && f.own.some((w) => w.id > mark && (now === w.before || now === w.after))) return "wait";
  return "external";
};

/**
 * Watches the working tree while workers run. An event is Hyperion's own write when the path
 * holds exactly what Hyperion's last apply or rollback of it left there (compared by content
 * hash, not by time, so an outside edit right after an apply is never taken for the apply);
 * any other state is recorded as `external`, and a queued change on that path is marked for
 * rebase before apply instead of failing later. While a change is leased on the path its write
 * is in flight: a state that is neither Hyperion's last write nor the in-flight one is recorded
 * at once, any other waits until the lease ends and is judged then. `.git/` and `.hyperion/` are
 * not watched (their writes never reach the watcher); Hyperion's temp files are ignored by name.
 */
export const watchTree = (repo: string, db: Database, queue: Queue): { close(): void } => {
  const sql = runtimeSql(db);
  const judgeSql = watchSql(db);
  const pending = new Map<string, { kind: string; at: number }>();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let closed = false;

  // One flush judges every path that changed since the last: the files are read first, then the
  // database once for all of them (a state is never compared with a record older than itself).
  const flush = () => {
    timer = undefined;
    const batch = new Map(pending);
    pending.clear();
    try {
      const mark = judgeSql.mark();
      const states: [string, string | null][] = [];
      for (const [path] of batch) {
        const now = stateOf(join(repo, path));
        if (now !== "dir") states.push([path, now]);
      }
      // Left out: paths that hold just what Hyperion's last write left, with no lease on them.
      const undecided = judgeSql.undecided(states);
      for (const [path, now] of states) {
        const facts = undecided.get(path);
        if (!facts) continue;
        const seen = batch.get(path)!;
        const judged = verdict(now, facts, mark, closed);
        if (judged === "own") continue;
        if (judged === "wait") {
          if (!pending.has(path)) pending.set(path, seen);
          continue;
        }
        try {
          const kind = now === null ? "deleted" : seen.kind === "rename" ? "created" : "modified";
          sql.recordExternal(path, kind, seen.at);
          const marked = queue.markNeedsRebase(path);
          log.info(
            `external edit: ${path}${marked ? ` (${marked} queued change(s) marked for rebase)` : ""}`,
          );
        } catch (e) {
          log.warn(`watch: ${String(e)}`);
        }
      }
    } catch (e) {
      // The database could not be read: judge these paths again at the next flush.
      log.warn(`watch: ${String(e)}`);
      for (const [path, seen] of batch) if (!pending.has(path)) pending.set(path, seen);
    }
    if (pending.size > 0 && !closed) timer = setTimeout(flush, SETTLE_MS);
  };

  const pend = (path: string, kind: string) => {
    if (TEMP.test(path)) return;
    pending.set(path, { kind, at: Date.now() });
    timer ??= setTimeout(flush, SETTLE_MS);
  };
  const onEvent = (prefix: string) => (event: string, filename: string | Buffer | null) => {
    if (filename) pend(prefix + filename.toString().split("\\").join("/"), event);
  };

  // The root is watched alone and each directory in it recursively, all but .git/ and .hyperion/:
  // the database's and git's own writes (most of a drain's file events) are never delivered.
  const dirs = new Map<string, FSWatcher>();
  /**
   * (Re)watches top-level directory `name` if it is one. Its watch starts anew at each event
   * for it (a directory removed and made again may even reuse its inode number); `scan` pends
   * what it holds already, written before its watch began.
   */
  const watchDir = (name: string, scan: boolean) => {
    if (IGNORED.test(name)) return;
    dirs.get(name)?.close();
    dirs.delete(name);
    const abs = join(repo, name);
    try {
      if (closed || !lstatSync(abs).isDirectory()) return;
    } catch {
      return; // gone: nothing to watch
    }
    try {
      const w = watch(abs, { recursive: true }, onEvent(`${name}/`));
      w.on("error", (e) => log.warn(`watch ${name}/: ${String(e)}`));
      dirs.set(name, w);
    } catch (e) {
      log.warn(`cannot watch ${abs}: ${String(e)}; external edits there will not be recorded`);
      return;
    }
    if (!scan) return;
    try {
      for (const f of readdirSync(abs, { recursive: true, withFileTypes: true }))
        if (!f.isDirectory()) pend(`${name}/${join(f.parentPath.slice(abs.length + 1), f.name)}`, "rename");
    } catch {
      // removed again meanwhile: its own event follows
    }
  };

  let root: FSWatcher | undefined;
  try {
    root = watch(repo, {}, (event, filename) => {
      if (!filename) return;
      const name = filename.toString();
      if (IGNORED.test(name) || TEMP.test(name)) return;
      if (event === "rename") watchDir(name, true);
      pend(name, event);
    });
    root.on("error", (e) => log.warn(`watch: ${String(e)}`));
    for (const d of readdirSync(repo, { withFileTypes: true })) if (d.isDirectory()) watchDir(d.name, false);
  } catch (e) {
    log.warn(`cannot watch ${repo}: ${String(e)}; external edits will not be recorded`);
  }
  return {
    close: () => {
      root?.close();
      for (const w of dirs.values()) w.close();
      if (timer) clearTimeout(timer);
      closed = true;
      flush();
    },
  };
};
