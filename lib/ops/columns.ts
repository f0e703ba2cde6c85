import type { ChangeRecord, DeadLetterRecord, FileModRecord, LogRecord, RequestRecord } from "./records.ts";
import { type Column, statusColour } from "./table.ts";

/** ISO time to the second, which is what a person scans for. */
const t = (s: string | null): string | null => (s === null ? null : `${s.slice(0, 19)}Z`);

export const changeColumns: Column<ChangeRecord>[] = [
  { header: "id", value: (r) => r.id },
  { header: "status", value: (r) => r.status, colour: (r) => statusColour(r.status) },
  { header: "pri", value: (r) => r.priority, right: true },
  { header: "tries", value: (r) => `${r.attempts}/${r.max_attempts}`, right: true },
  { header: "risk", value: (r) => r.risk },
  { header: "agent", value: (r) => r.agent },
  { header: "request", value: (r) => r.request_id },
  { header: "task", value: (r) => r.task_id },
  { header: "updated", value: (r) => t(r.updated_at) },
  { header: "summary", value: (r) => r.summary, max: 60 },
  { header: "held for", value: (r) => (r.held_for.length ? r.held_for.join("; ") : null), max: 80 },
  { header: "waiting for", value: (r) => r.waiting_for },
];

export const deadLetterColumns: Column<DeadLetterRecord>[] = [
  { header: "change", value: (r) => r.change_id },
  { header: "code", value: (r) => r.reason_code, colour: () => "red" },
  { header: "tries", value: (r) => r.attempts, right: true },
  { header: "dead at", value: (r) => t(r.dead_at) },
  { header: "agent", value: (r) => r.agent },
  { header: "request", value: (r) => r.request_id },
  { header: "message", value: (r) => r.message, max: 80 },
];

export const requestColumns: Column<RequestRecord>[] = [
  { header: "id", value: (r) => r.id },
  { header: "status", value: (r) => r.status, colour: (r) => statusColour(r.status) },
  { header: "created", value: (r) => t(r.created_at) },
  { header: "tasks", value: (r) => r.counts.tasks, right: true },
  { header: "changes", value: (r) => r.counts.changes, right: true },
  { header: "applied", value: (r) => r.counts.applied, right: true },
  {
    header: "open",
    value: (r) => r.counts.queued + r.counts.leased + r.counts.awaiting_approval,
    right: true,
  },
  { header: "dead", value: (r) => r.counts.dead, right: true },
  { header: "title", value: (r) => r.title, max: 60 },
];

export const logColumns: Column<LogRecord>[] = [
  { header: "ts", value: (r) => t(r.ts) },
  { header: "level", value: (r) => r.level, colour: (r) => statusColour(r.level) },
  { header: "event", value: (r) => r.event },
  { header: "change", value: (r) => r.change_id },
  { header: "worker", value: (r) => r.worker },
  { header: "data", value: (r) => (typeof r.data === "string" ? r.data : JSON.stringify(r.data)), max: 100 },
];

export const fileModColumns: Column<FileModRecord>[] = [
  { header: "ts", value: (r) => t(r.ts) },
  { header: "kind", value: (r) => r.kind },
  { header: "path", value: (r) => (r.new_path ? `${r.path} -> ${r.new_path}` : r.path) },
  { header: "change", value: (r) => r.change_id },
  { header: "source", value: (r) => r.source },
];
