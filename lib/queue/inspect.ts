import { verifyPayload } from "../patch/sign.ts";
import type { Tip } from "../patch/validate.ts";
import { fileKey } from "../schema/index.ts";
import { ChangeRow } from "../store/queue/rows.ts";
import type { QueueContext } from "./_context.ts";
import { unpackResult } from "./results.ts";
import { type ChangeStatus, DeadLetter, type QueueChange, QueueLogEntry } from "./types.ts";

const toChange = (raw: unknown): QueueChange => {
  const { ready: _r, ...row } = ChangeRow.parse(raw);
  return { ...row, needs_rebase: row.needs_rebase === 1 };
};

/** Reads for the CLI, the dashboard and the patch validator, plus the two small writes they need. */
export const makeInspect = (ctx: QueueContext) => {
  const { sql } = ctx;
  return {
    get: (id: string): QueueChange | null => {
      const raw = sql.byId(id);
      return raw ? toChange(raw) : null;
    },
    paths: (id: string): string[] => sql.pathsOfId(id),
    list: (opts: { status?: ChangeStatus; sinceMs?: number; limit?: number } = {}): QueueChange[] =>
      sql.list(opts.status, opts.sinceMs ?? 0, opts.limit ?? 100).map(toChange),
    logs: (changeId: string): QueueLogEntry[] =>
      sql.logsOf(changeId).map((r) => QueueLogEntry.parse({ ...r, data: JSON.parse(String(r.data)) })),
    deadLetter: (id: string): DeadLetter | null => {
      const raw = sql.deadLetter(id);
      return raw ? DeadLetter.parse(raw) : null;
    },
    deadLetters: (limit = 100): DeadLetter[] => sql.deadLetters(limit).map((r) => DeadLetter.parse(r)),
    tipOf: (path: string): Tip | null => {
      const key = fileKey(path);
      const tip = sql.tip(key);
      if (!tip) return null;
      let text: string | null | undefined;
      return {
        sha: tip.result_sha256,
        text: () => {
          if (text === undefined) {
            const packed = sql.resultOf(tip.seq, key);
            text = packed ? unpackResult(packed) : null;
          }
          return text;
        },
      };
    },
    producerOf: (path: string, sha: string, self?: string): string | null =>
      sql.predecessor(fileKey(path), sha, self)?.id ?? null,
    waitingFor: (id: string): string | null => sql.waitingFor(id),
    // The watcher's path is spelled as the disk has it: changes queued under any spelling of
    // that file are found by its key; the event shows the path as seen.
    markNeedsRebase: ctx.tx((path: string): number => {
      const n = sql.markNeedsRebase(fileKey(path), ctx.now());
      if (n > 0) ctx.event(null, "needs_rebase", { path, changes: n }, "warn");
      return n;
    }),
    log: ctx.tx(
      (changeId: string | null, event: string, data?: object, level?: string, worker?: string): void =>
        ctx.event(changeId, event, data ?? {}, level ?? "info", worker ?? null),
    ),
    verify: (l: { id: string; payload: string; signature: string }): boolean =>
      verifyPayload(ctx.secret, { repository: ctx.repository, id: l.id, payload: l.payload }, l.signature),
  };
};
