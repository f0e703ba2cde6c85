import type { Database } from "bun:sqlite";
import { z } from "zod";
import { sha256Hex } from "../patch/hash.ts";
import { patchLineCounts } from "../patch/stats.ts";
import { notFound, type Queue } from "../queue/index.ts";
import { safeText } from "../safe-text.ts";
import { ChangeRequest } from "../schema/index.ts";
import { governanceSql } from "../store/governance-sql.ts";
import type { ChangeRow } from "../store/queue/rows.ts";
import { summarySql } from "../store/summary-sql.ts";
import { heldReasons } from "./risk.ts";

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export const ChangeSummary = z.object({
  id: z.string(),
  task_id: z.string(),
  agent: z.string().nullable(),
  summary: z.string().nullable(),
  status: z.string(),
  risk: z.string(),
  risk_score: z.number(),
  attempts: z.number(),
  /** Why it waits for a person while it is awaiting approval: what always holds (credentials redacted), then its risk reasons. */
  held_for: z.array(z.string()),
  /** The held change a queued change waits behind in line (it is stacked on it); null otherwise. */
  waiting_for: z.string().nullable(),
  files: z.array(
    z.object({
      path: z.string(),
      operation: z.string(),
      new_path: z.string().nullable(),
      added: z.number(),
      removed: z.number(),
    }),
  ),
  validation: z.array(
    z.object({
      ok: z.boolean(),
      commands: z.array(
        z.object({ command: z.string(), exit_code: z.number().nullable(), duration_ms: z.number() }),
      ),
    }),
  ),
  approvals: z.array(
    z.object({
      decision: z.string(),
      actor: z.string(),
      reason: z.string().nullable(),
      at: z.string(),
      /** The payload the decision was made on; a decision on another payload says nothing of this one. */
      payload_sha256: z.string().nullable(),
      /** True when that payload is the one stored now. */
      this_payload: z.boolean(),
    }),
  ),
  last_error: z.unknown().nullable(),
  enqueued_at: z.string(),
  leased_at: z.string().nullable(),
  finished_at: z.string().nullable(),
  /** From enqueue to the end of its last attempt. */
  total_ms: z.number().nullable(),
});
export type ChangeSummary = z.infer<typeof ChangeSummary>;

export const RequestSummary = z.object({
  request: z.object({
    id: z.string(),
    title: z.string(),
    kind: z.string().nullable(),
    status: z.string(),
    fallback: z.boolean(),
    /** Why an agent's output was refused, with its raw output (bounded) as it came. */
    fallback_reason: z.string().nullable(),
    created_at: z.string(),
  }),
  asked: z.string(),
  tasks: z.array(
    z.object({
      id: z.string(),
      title: z.string(),
      owned_paths: z.array(z.string()),
      agent: z.string().nullable(),
    }),
  ),
  changes: z.array(ChangeSummary),
  totals: z.object({
    changes: z.number(),
    applied: z.number(),
    files: z.number(),
    added: z.number(),
    removed: z.number(),
  }),
});
export type RequestSummary = z.infer<typeof RequestSummary>;

const ValidationEvent = z.object({
  ok: z.boolean(),
  results: z.array(
    z.object({ command: z.string(), exit_code: z.number().nullable(), duration_ms: z.number() }).loose(),
  ),
});

const summarizeChange = (db: Database, queue: Queue, row: ChangeRow): ChangeSummary => {
  const cr = ChangeRequest.parse(JSON.parse(row.payload));
  const logs = queue.logs(row.id);
  const validation = logs
    .filter((l) => l.event === "validation")
    .map((l) => ValidationEvent.parse(l.data))
    .map((v) => ({
      ok: v.ok,
      commands: v.results.map((r) => ({
        command: r.command,
        exit_code: r.exit_code,
        duration_ms: r.duration_ms,
      })),
    }));
  return {
    id: row.id,
    task_id: row.task_id,
    agent: row.agent,
    summary: row.summary,
    status: row.status,
    risk: row.risk,
    risk_score: row.risk_score,
    attempts: row.attempts,
    held_for:
      row.status === "awaiting_approval"
        ? heldReasons(logs.findLast((l) => l.event === "held_for_approval")?.data)
        : [],
    waiting_for: row.status === "queued" ? queue.waitingFor(row.id) : null,
    files: cr.changes.map((c) => ({
      path: c.path,
      operation: c.operation,
      new_path: c.new_path ?? null,
      ...patchLineCounts(c.patch),
    })),
    validation,
    approvals: governanceSql(db)
      .decisions(row.id)
      .map((d) => ({
        decision: d.decision,
        actor: d.actor,
        reason: d.reason,
        at: iso(d.ts)!,
        payload_sha256: d.payload_sha256,
        this_payload: d.payload_sha256 === sha256Hex(row.payload),
      })),
    last_error: row.last_error === null ? null : JSON.parse(row.last_error),
    enqueued_at: iso(row.enqueued_at)!,
    leased_at: iso(row.leased_at),
    finished_at: iso(row.finished_at),
    total_ms: row.finished_at === null ? null : row.finished_at - row.enqueued_at,
  };
};

/** What was asked, planned, applied, validated and approved, for a request or one change. */
export const summarize = (db: Database, queue: Queue, id: string): RequestSummary | ChangeSummary => {
  const sql = summarySql(db);
  const request = sql.request(id);
  if (request) {
    const changes = sql.changesOf(id).map((row) => summarizeChange(db, queue, row));
    const files = changes.flatMap((c) => c.files);
    const payload = JSON.parse(request.payload) as { description?: string };
    return {
      request: {
        id: request.id,
        title: request.title,
        kind: request.kind,
        status: request.status,
        fallback: request.fallback === 1,
        fallback_reason: request.fallback_reason ?? null,
        created_at: iso(request.created_at)!,
      },
      asked: payload.description || request.title,
      tasks: sql.tasks(id).map((t) => ({
        id: t.id,
        title: t.title,
        owned_paths: z.array(z.string()).parse(JSON.parse(t.owned_paths)),
        agent: t.agent,
      })),
      changes,
      totals: {
        changes: changes.length,
        applied: changes.filter((c) => c.status === "applied").length,
        files: files.length,
        added: files.reduce((n, f) => n + f.added, 0),
        removed: files.reduce((n, f) => n + f.removed, 0),
      },
    };
  }
  const row = sql.change(id);
  if (!row) throw notFound(db, id, "request or change", "see `hyperion history` and `hyperion list`");
  return summarizeChange(db, queue, row);
};

const changeMarkdown = (c: ChangeSummary): string[] => [
  `### ${c.id} — ${c.status}${c.summary ? `: ${c.summary}` : ""}`,
  "",
  ...(c.held_for.length ? [`held for approval: ${c.held_for.join("; ")}`, ""] : []),
  ...(c.waiting_for ? [`waiting for ${c.waiting_for} (stacked on a change awaiting approval)`, ""] : []),
  `task \`${c.task_id}\`, agent ${c.agent ?? "-"}, risk ${c.risk} (${c.risk_score}), attempts ${c.attempts}` +
    (c.total_ms === null ? "" : `, ${c.total_ms} ms from enqueue to done`),
  "",
  "| file | operation | + | - |",
  "| --- | --- | --- | --- |",
  ...c.files.map(
    (f) =>
      `| \`${safeText(f.path, { path: true })}\`${f.new_path ? ` → \`${safeText(f.new_path, { path: true })}\`` : ""} | ${f.operation} | ${f.added} | ${f.removed} |`,
  ),
  "",
  ...(c.validation.length
    ? c.validation.flatMap((v) =>
        v.commands.map((r) => `- validation \`${r.command}\`: exit ${r.exit_code} in ${r.duration_ms} ms`),
      )
    : ["- validation: none ran"]),
  ...c.approvals.map((a) =>
    a.this_payload
      ? `- ${a.decision} by ${a.actor} at ${a.at}${a.reason ? `: ${a.reason}` : ""}`
      : `- NOT ${a.decision}: ${a.actor} decided at ${a.at} on another payload (sha256 ${(a.payload_sha256 ?? "not recorded").slice(0, 12)}), not the one stored now`,
  ),
  ...(c.last_error ? [`- last error: \`${JSON.stringify(c.last_error)}\``] : []),
  "",
];

/** The summary as Markdown for a terminal: what agents wrote is shown with its escapes escaped. */
export const summaryMarkdown = (s: RequestSummary | ChangeSummary): string =>
  safeText(markdown(s), { multiline: true });

const markdown = (s: RequestSummary | ChangeSummary): string => {
  if (!("request" in s)) return changeMarkdown(s).join("\n");
  return [
    `# ${s.request.id}: ${s.request.title}`,
    "",
    `${s.request.kind ?? "unclassified"}, ${s.request.status}, filed ${s.request.created_at}${s.request.fallback ? " (stub fallback)" : ""}`,
    "",
    "## Asked",
    "",
    s.asked,
    "",
    ...(s.request.fallback_reason ? ["## Refused agent output", "", s.request.fallback_reason, ""] : []),
    "## Planned",
    "",
    ...s.tasks.map((t) => `- \`${t.id}\` ${t.title}: ${t.owned_paths.map((p) => `\`${p}\``).join(", ")}`),
    "",
    `## Changes (${s.totals.applied} of ${s.totals.changes} applied; ${s.totals.files} files, +${s.totals.added} -${s.totals.removed})`,
    "",
    ...s.changes.flatMap(changeMarkdown),
  ].join("\n");
};
