import { HyperionError } from "../errors.ts";
import { sha256Hex } from "../patch/hash.ts";
import { signPayload } from "../patch/sign.ts";
import { type ChangeRequest, requestPaths } from "../schema/index.ts";
import type { QueueContext } from "./_context.ts";
import { newChangeId } from "./_ids.ts";
import { pathRows, placeHeld, stackFacts } from "./_stack.ts";
import { type PackedResult, packResult } from "./results.ts";
import type { Enqueued, EnqueueOptions } from "./types.ts";

type PackedResults = Map<string, PackedResult>[];

const duplicate = (id: string) =>
  new HyperionError("E_DUPLICATE_ID", `a change with id ${id} is already in the queue`, {
    hint: "leave `id` out to have one assigned, or choose a new one",
    details: { id },
  });

/**
 * Stores change requests (parsed by the caller at its boundary) in one transaction: the signed
 * payload, its paths, an `enqueued` event each. A reused id refuses the whole batch.
 */
export const makeEnqueue = (ctx: QueueContext) => {
  const { sql } = ctx;
  const run = ctx.tx((crs: ChangeRequest[], opts: EnqueueOptions, packed: PackedResults): Enqueued[] => {
    const now = ctx.now();
    const status = opts.status ?? "queued";
    const inLine = status === "queued";
    const priority = opts.priority ?? 0;
    const seen = new Set<string>();
    const items = crs.map((cr) => {
      const given = cr.id;
      if (given !== undefined && seen.has(given)) throw duplicate(given);
      const id = given ?? newChangeId(now);
      seen.add(id);
      const { id: _omit, ...rest } = cr;
      return { cr, id, payload: JSON.stringify({ id, ...rest }), paths: requestPaths(cr), ...stackFacts(cr) };
    });
    // Each base that is an open change's result names that change (the newest such, this batch's
    // earlier changes first): its predecessor. A held predecessor of a change joining the line
    // takes its place in line first, so the change waits behind it instead of being leased.
    // "key sha" -> the newest change of this batch so far that leaves that content at that file.
    const produced = new Map<string, string>();
    const after = items.map((it) => {
      const found = new Map<string, string>();
      for (const b of it.bases) {
        const mine = produced.get(`${b.path} ${b.sha}`);
        if (mine) {
          found.set(b.path, mine);
          continue;
        }
        const open = sql.predecessor(b.path, b.sha);
        if (!open) continue;
        found.set(b.path, open.id);
        if (inLine && open.status === "awaiting_approval") placeHeld(ctx, open.id);
      }
      for (const [key, sha] of it.results) if (sha !== null) produced.set(`${key} ${sha}`, it.id);
      return found;
    });
    // `ready`: queued and first in line on every path, behind the changes already in line and
    // the earlier ones of this batch. The pick re-checks the rule, so a wrong 1 is repaired there.
    // Lines are per file (fileKey), so `Src/A.txt` waits behind `src/a.txt`.
    const taken = inLine ? sql.inLine(items.flatMap((it) => it.paths.map((p) => p.key))) : new Set();
    const rows = items.map((it) => {
      const ready = inLine && !it.paths.some((p) => taken.has(p.key));
      for (const p of it.paths) taken.add(p.key);
      return {
        id: it.id,
        task_id: it.cr.task_id,
        request_id: it.cr.request_id ?? null,
        agent: it.cr.agent ?? null,
        summary: it.cr.summary ?? null,
        status,
        priority,
        max_attempts: opts.maxAttempts ?? ctx.config.max_attempts,
        available_at: now,
        payload: it.payload,
        payload_sha256: sha256Hex(it.payload),
        signature: signPayload(ctx.secret, { repository: ctx.repository, id: it.id, payload: it.payload }),
        risk: opts.risk ?? "low",
        risk_score: opts.riskScore ?? 0,
        enqueued_at: now,
        updated_at: now,
        ready: ready ? (1 as const) : (0 as const),
      };
    });
    const seqs = sql.insertChanges(rows);
    sql.insertPaths(
      items.flatMap((it, i) => pathRows(seqs[i]!, it.paths, after[i]!, it.results)),
      inLine,
    );
    sql.insertResults(
      packed.flatMap((m, i) => [...m].map(([key, content]) => [seqs[i]!, key, content] as const)),
    );
    sql.insertLogs(
      items.map((it, i) => [
        it.id,
        now,
        "info",
        "enqueued",
        null,
        JSON.stringify({
          seq: seqs[i],
          task_id: it.cr.task_id,
          paths: it.paths.map((p) => p.path),
          status,
          priority,
          ...(after[i]!.size > 0 ? { after: [...new Set(after[i]!.values())] } : {}),
        }),
      ]),
    );
    return items.map((it, i) => ({
      id: it.id,
      seq: seqs[i]!,
      task_id: it.cr.task_id,
      status,
      paths: it.paths.map((p) => p.path),
    }));
  });
  return (crs: ChangeRequest | ChangeRequest[], opts: EnqueueOptions = {}): Enqueued[] => {
    const list = Array.isArray(crs) ? crs : [crs];
    try {
      // Compressed before the transaction: it is the dearest part of storing results.
      const packed = list.map((_, i) => {
        const texts = opts.results?.[i];
        return new Map(texts ? [...texts].map(([key, text]) => [key, packResult(text)] as const) : []);
      });
      return run(list, opts, packed);
    } catch (e) {
      // The id is taken by a stored change (the unique index refused the batch).
      if ((e as { code?: string }).code === "SQLITE_CONSTRAINT_UNIQUE") {
        throw duplicate(list.find((c) => c.id !== undefined && sql.idExists(c.id))?.id ?? "(unknown)");
      }
      throw e;
    }
  };
};
