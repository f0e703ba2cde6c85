import type { Database } from "bun:sqlite";
import { z } from "zod";
import { type ChangeSummary, CommandResult, type RequestSummary, summarize } from "../governance/index.ts";
import {
  type ChangeRecord,
  type FileModRecord,
  type LogRecord,
  listings,
  metricsRecord,
  type QueueMetricsRecord,
  type RequestRecord,
} from "../ops/index.ts";
import type { Queue } from "../queue/index.ts";
import { ChangeRequest } from "../schema/index.ts";
import { type AgentTurn, requestsSql, type TaskRow } from "../store/index.ts";

/** How many rows each list pane holds: the "last 100 requests", and as many of the rest. */
export const PANE_ROWS = 100;

/** How far back a request without a recorded row still counts as being planned. */
const PLANNING_WINDOW_MS = 3_600_000;

/** The filters the operator sets with `s`, `g` and `/`. */
export type Filters = { status?: string; agent?: string; text?: string };

/** Everything the list panes and the insights show, read in one pass. */
export type Snapshot = {
  metrics: QueueMetricsRecord;
  changes: ChangeRecord[];
  requests: RequestRecord[];
  /** Requests whose agents are at work now (`hyperion request` running elsewhere), newest first. */
  planning: Planning[];
  logs: LogRecord[];
  fileMods: FileModRecord[];
  /** Agents seen in the queue, for the `g` cycle. */
  agents: string[];
};

/** A request being planned: its turns so far, as `hyperion request` records them. */
export type Planning = { id: string; title: string; turns: AgentTurn[] };

/** A change in full for the detail pane: its summary, its patches and, when dead, why. */
export type ChangeDetail = {
  kind: "change";
  summary: ChangeSummary;
  patches: { path: string; operation: string; patch: string }[];
  dead: { reason_code: string; message: string } | null;
  /** The last validation run's commands with their output, as the worker logged them. */
  validation: CommandResult[];
};

const ValidationRun = z.object({ results: z.array(CommandResult) });
/** A request's pipeline: Engineer, Orchestrator, then each Developer task with its change. */
export type RequestDetail = {
  kind: "request";
  summary: RequestSummary;
  brief: boolean;
  stored: string;
  fallbackReason: string | null;
  tasks: TaskRow[];
  /** Each agent turn as it started and ended (live while the request is planned). */
  turns: AgentTurn[];
};
export type Detail =
  | ChangeDetail
  | RequestDetail
  | { kind: "planning"; planning: Planning }
  | { kind: "log"; log: LogRecord }
  | { kind: "file"; mod: FileModRecord }
  | { kind: "missing"; what: string };

const matches = (text: string | undefined, ...fields: (string | null | undefined)[]): boolean => {
  if (!text) return true;
  const needle = text.toLowerCase();
  return fields.some((f) => f?.toLowerCase().includes(needle));
};

/**
 * The dashboard's reads. `changed()` asks SQLite whether another connection committed since the
 * last look (PRAGMA data_version), so an idle poll costs one pragma, not five listings.
 */
export const createFeed = (db: Database, queue: Queue) => {
  const list = listings(db);
  const requests = requestsSql(db);
  const planningOf = (id: string): Planning => {
    const turns = requests.turnsOf(id);
    const title = turns.find((t) => typeof t.detail.title === "string")?.detail.title;
    return { id, title: typeof title === "string" ? title : "", turns };
  };
  const version = db.query<{ data_version: number }, []>("PRAGMA data_version");
  let seen = -1;
  return {
    /** True when the database changed (another process wrote) since the last call. */
    changed: (): boolean => {
      const v = version.get()?.data_version ?? 0;
      const moved = v !== seen;
      seen = v;
      return moved;
    },
    /** The queue's metrics alone: ages and the throughput window move with the clock. */
    metrics: (): QueueMetricsRecord => metricsRecord(queue.metrics()),
    /** Every list pane, filtered. The status filter is a change status, so it narrows the change list only. */
    snapshot: (f: Filters): Snapshot => {
      const all = list.changes({ limit: PANE_ROWS, agent: f.agent, status: f.status });
      return {
        metrics: metricsRecord(queue.metrics()),
        changes: all.filter((c) =>
          matches(f.text, c.id, c.summary, c.agent, c.task_id, c.request_id, c.status),
        ),
        requests: list
          .requests({ limit: PANE_ROWS, agent: f.agent })
          .filter((r) => matches(f.text, r.id, r.title, r.agent, r.status)),
        planning: requests
          .planningSince(Date.now() - PLANNING_WINDOW_MS)
          .map(planningOf)
          .filter((p) => matches(f.text, p.id, p.title))
          .reverse(),
        // The listing reads oldest first, like a log file; the dashboard shows the newest on top.
        logs: list
          .logs({ limit: PANE_ROWS })
          .reverse()
          .filter((l) => matches(f.text, l.event, l.change_id, l.worker, l.level, JSON.stringify(l.data))),
        fileMods: list
          .fileMods({ limit: PANE_ROWS, agent: f.agent })
          .filter((m) => matches(f.text, m.path, m.new_path, m.change_id, m.kind, m.source)),
        agents: [
          ...new Set(list.changes({ limit: PANE_ROWS }).flatMap((c) => (c.agent ? [c.agent] : []))),
        ].sort(),
      };
    },
    /** One change in full. */
    change: (id: string): Detail => {
      const row = queue.get(id);
      if (!row) return { kind: "missing", what: `change ${id} (archived or gone)` };
      const s = summarize(db, queue, id);
      if ("request" in s) return { kind: "missing", what: id };
      const payload = ChangeRequest.parse(JSON.parse(row.payload));
      const dead = row.status === "dead" ? queue.deadLetter(id) : null;
      const run = ValidationRun.safeParse(queue.logs(id).findLast((l) => l.event === "validation")?.data);
      return {
        kind: "change",
        summary: s,
        patches: payload.changes.map((c) => ({ path: c.path, operation: c.operation, patch: c.patch ?? "" })),
        dead: dead ? { reason_code: dead.reason_code, message: dead.message } : null,
        validation: run.success ? run.data.results : [],
      };
    },
    /** One request's pipeline. */
    request: (id: string): Detail => {
      const row = requests.getRequest(id);
      if (!row) {
        const planning = planningOf(id);
        return planning.turns.length
          ? { kind: "planning", planning }
          : { kind: "missing", what: `request ${id}` };
      }
      const s = summarize(db, queue, id);
      if (!("request" in s)) return { kind: "missing", what: id };
      return {
        kind: "request",
        summary: s,
        brief: row.brief !== null,
        stored: row.status,
        fallbackReason: row.fallback_reason,
        tasks: requests.tasksOf(id),
        turns: requests.turnsOf(id),
      };
    },
  };
};
export type Feed = ReturnType<typeof createFeed>;
