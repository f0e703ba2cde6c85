import {
  age,
  type ChangeRecord,
  type FileModRecord,
  type LogRecord,
  type QueueMetricsRecord,
  type RequestRecord,
} from "../ops/index.ts";
import { nextStep } from "../runtime/progress.ts";
import type { AgentTurn } from "../store/index.ts";
import type { ChangeDetail, Detail, Planning, RequestDetail } from "./data.ts";
import { COLORS, cell, colored, type Line, muted, plain, status, strong } from "./style.ts";

/*
 * Pure renderings of each pane as lines of styled text, from the feed's records. Nothing here
 * touches the terminal, so tests read them and the app compares them before redrawing.
 */

const BARS = "▁▂▃▄▅▆▇█";

/** A small trend of the last samples, scaled to their own range. */
export const sparkline = (samples: (number | null)[]): string => {
  const xs = samples.filter((x): x is number => x !== null);
  if (xs.length === 0) return "";
  const [lo, hi] = [Math.min(...xs), Math.max(...xs)];
  return samples
    .map((x) =>
      x === null ? " " : BARS[hi === lo ? 0 : Math.round(((x - lo) / (hi - lo)) * (BARS.length - 1))],
    )
    .join("");
};

const ms = (v: number | null): string =>
  v === null ? "-" : v < 1000 ? `${v < 10 ? v.toFixed(1) : v.toFixed(0)}ms` : `${(v / 1000).toFixed(1)}s`;

/** A worker is healthy while it was seen within a few of its polls (or 30 s when it never said). */
export const workerHealthy = (w: QueueMetricsRecord["workers"][number], now: number): boolean =>
  now - Date.parse(w.last_seen) <= Math.max(30_000, 3 * (w.poll_ms ?? 0));

/** Latency samples the app keeps across polls, for the trends. */
export type Trend = { apply: (number | null)[]; dequeue: (number | null)[] };

/** The queue insights: depth by status, throughput, latencies with a trend, workers, oldest queued. */
export const insightsLines = (m: QueueMetricsRecord, trend: Trend, rows: number): Line[] => {
  const d = m.depth;
  const now = Date.parse(m.at);
  const healthy = m.workers.filter((w) => workerHealthy(w, now)).length;
  const lines: Line[] = [
    [
      muted("depth "),
      status("queued"),
      plain(` ${d.queued} `),
      status("leased"),
      plain(` ${d.leased} `),
      colored(COLORS.held, "awaiting"),
      plain(` ${d.awaiting_approval} `),
      status("dead"),
      plain(` ${d.dead} `),
      status("applied"),
      plain(` ${d.applied}`),
      muted(" · ready "),
      plain(String(m.ready)),
      muted(" · oldest "),
      plain(m.oldest_queued_ms === null ? "-" : age(m.oldest_queued_ms)),
    ],
    [
      muted("throughput "),
      plain(`${m.throughput.applied_per_min}/min`),
      muted(
        ` (${age(m.window_ms)}: applied ${m.throughput.applied}, retried ${m.throughput.failed}, dead ${m.throughput.dead})  `,
      ),
      muted("workers "),
      colored(
        m.workers.length === 0 ? COLORS.muted : healthy === m.workers.length ? COLORS.ok : COLORS.warn,
        m.workers.length === 0 ? "none" : `${healthy}/${m.workers.length} healthy`,
      ),
    ],
    [
      muted("apply p50 "),
      plain(ms(m.latency_ms.apply.p50)),
      muted(" p95 "),
      plain(ms(m.latency_ms.apply.p95)),
      colored(COLORS.accent, ` ${sparkline(trend.apply)}`),
      muted("  dequeue p50 "),
      plain(ms(m.latency_ms.dequeue.p50)),
      muted(" p95 "),
      plain(ms(m.latency_ms.dequeue.p95)),
      colored(COLORS.accent, ` ${sparkline(trend.dequeue)}`),
    ],
    // Batched validation, once there is any in the window.
    ...(m.validation.batches > 0
      ? [
          [
            muted("validation "),
            plain(`${m.validation.batches} batches of ${m.validation.mean_size}`),
            muted(" · runs/change "),
            plain(String(m.validation.runs_per_change)),
            muted(" · blamed "),
            plain(String(m.validation.blamed)),
            ...(m.validation.blame_ms_p50 === null
              ? []
              : [muted(" · to blame p50 "), plain(ms(m.validation.blame_ms_p50))]),
          ] satisfies Line,
        ]
      : []),
    ...m.workers.map(
      (w): Line => [
        muted("  "),
        colored(workerHealthy(w, now) ? COLORS.ok : COLORS.warn, workerHealthy(w, now) ? "● " : "○ "),
        plain(w.worker),
        muted(
          `  leased ${w.leased} applied ${w.applied} failed ${w.failed} seen ${age(now - Date.parse(w.last_seen))} ago`,
        ),
      ],
    ),
  ];
  return lines.slice(0, rows);
};

/** The list panes, in Tab order after the insights. */
export const LIST_PANES = ["changes", "history", "logs", "files"] as const;
export type ListPane = (typeof LIST_PANES)[number];
export const PANE_TITLES: Record<ListPane, string> = {
  changes: "Changes",
  history: "Requests",
  logs: "Logs",
  files: "Files",
};

const clock = (iso: string) => iso.slice(11, 19);

/** Narrow panes (an 80-column terminal splits in two) get narrower columns. */
const narrow = (width: number) => width < 60;

export const changeRow = (c: ChangeRecord, width: number): Line => {
  const [id, st, ag] = narrow(width) ? [8, 12, 6] : [12, 17, 9];
  return [
    plain(cell(c.id, id)),
    plain(" "),
    status(cell(c.status, st)),
    plain(" "),
    muted(cell(c.agent ?? "-", ag)),
    plain(" "),
    ...(narrow(width) ? [] : [muted(cell(`${c.attempts}/${c.max_attempts}`, 5)), plain(" ")]),
    plain(c.summary ?? ""),
  ];
};

export const requestRow = (r: RequestRecord, width: number): Line => {
  const [id, st] = narrow(width) ? [8, 12] : [12, 17];
  return [
    plain(cell(r.id, id)),
    plain(" "),
    status(cell(r.status, st)),
    plain(" "),
    muted(cell(`${r.counts.tasks}t ${r.counts.changes}c`, 7)),
    plain(" "),
    plain(r.title),
  ];
};

/** A request whose agents are at work: which turn it is on. */
export const planningRow = (p: Planning, width: number): Line => {
  const [id, st] = narrow(width) ? [8, 12] : [12, 17];
  const last = p.turns.at(-1);
  return [
    plain(cell(p.id, id)),
    plain(" "),
    colored(COLORS.warn, cell("planning", st)),
    plain(" "),
    muted(cell(last ? `${last.role}${last.task_id ? ` ${last.task_id}` : ""} ${last.state}` : "", 24)),
    plain(" "),
    plain(p.title),
  ];
};

/** The latest state of each turn (engineer, orchestrator, each developer task), in order. */
const turnStates = (turns: readonly AgentTurn[]): Map<string, AgentTurn> => {
  const latest = new Map<string, AgentTurn>();
  for (const t of turns) latest.set(`${t.role}:${t.task_id ?? ""}`, t);
  return latest;
};

const turnText = (t: AgentTurn | undefined): Line[number] =>
  !t
    ? muted("no turn recorded")
    : t.state === "running"
      ? colored(COLORS.warn, `${t.agent}: turn running`)
      : t.state === "failed"
        ? colored(COLORS.bad, `${t.agent}: turn failed`)
        : t.state === "fallback"
          ? colored(COLORS.warn, `${t.agent}: done (stub stood in)`)
          : plain(`${t.agent}: done`);

/** A request still being planned: each agent's turn as it runs, from `hyperion request` elsewhere. */
export const planningDetailLines = (p: Planning): Line[] => {
  const latest = turnStates(p.turns);
  const developers = [...latest.values()].filter((t) => t.role === "developer");
  return [
    [strong(p.id), muted(" · "), colored(COLORS.warn, "planning"), muted(` · ${p.title}`)],
    [colored(COLORS.accent, "Engineer     "), turnText(latest.get("engineer:"))],
    [colored(COLORS.accent, "Orchestrator "), turnText(latest.get("orchestrator:"))],
    [colored(COLORS.accent, "Developers")],
    ...developers.flatMap((t): Line[] => {
      const owned = Array.isArray(t.detail.owned_paths) ? (t.detail.owned_paths as string[]) : [];
      return [
        [plain(`  ${t.task_id} `), turnText(t)],
        [muted(`    owns ${owned.length ? owned.join(", ") : "-"}`)],
      ];
    }),
  ];
};

export const logRow = (l: LogRecord, width: number): Line => [
  muted(`${clock(l.ts)} `),
  status(cell(l.level, 5)),
  plain(" "),
  plain(cell(l.change_id ?? "-", narrow(width) ? 6 : 10)),
  plain(" "),
  plain(cell(l.event, narrow(width) ? 14 : 20)),
  plain(" "),
  muted(l.worker ?? ""),
];

export const fileRow = (f: FileModRecord, width: number): Line => [
  muted(`${clock(f.ts)} `),
  plain(cell(f.kind, 7)),
  plain(" "),
  plain(cell(f.change_id ?? f.source, narrow(width) ? 6 : 10)),
  plain(" "),
  plain(f.new_path ? `${f.path} → ${f.new_path}` : f.path),
];

/** The part of `count` rows that shows `selectedIndex` in `height` rows. */
export const windowOf = (count: number, selectedIndex: number, height: number): [number, number] => {
  if (count <= height) return [0, count];
  const start = Math.min(Math.max(0, selectedIndex - Math.floor(height / 2)), count - height);
  return [start, start + height];
};

const json = (v: unknown): string => (typeof v === "string" ? v : JSON.stringify(v));

/** What a change waits for, in the operator's words. */
export const waitsFor = (c: ChangeDetail): string => {
  const s = c.summary;
  switch (s.status) {
    case "awaiting_approval":
      return "a person: press a to approve or r to reject";
    case "queued":
      return "a worker (and any earlier change on its paths); `hyperion run` drains the queue";
    case "leased":
      return "its worker to finish applying it";
    case "dead":
      return "a person: press R to retry it";
    default:
      return "nothing: it is finished";
  }
};

/** The last lines a validation command printed: enough to see why it failed. */
const OUTPUT_LINES = 8;
const outputTail = (stdout: string, stderr: string): Line[] =>
  [...stdout.split("\n"), ...stderr.split("\n")]
    .filter((l) => l.trim() !== "")
    .slice(-OUTPUT_LINES)
    .map((l): Line => [muted(`    ${l}`)]);

/** A unified diff with colours: additions green, removals red, hunk headers cyan. */
export const diffLines = (patch: string): Line[] =>
  patch
    .replace(/\n$/, "")
    .split("\n")
    .map((l): Line => {
      if (l.startsWith("+++") || l.startsWith("---")) return [strong(l)];
      if (l.startsWith("@@")) return [colored(COLORS.info, l)];
      if (l.startsWith("+")) return [colored(COLORS.ok, l)];
      if (l.startsWith("-")) return [colored(COLORS.bad, l)];
      return [plain(l)];
    });

const changeDetailLines = (d: ChangeDetail): Line[] => {
  const s = d.summary;
  return [
    [
      strong(s.id),
      muted(" · "),
      status(s.status),
      muted(` · risk ${s.risk} (${s.risk_score}) · attempts ${s.attempts}`),
    ],
    [muted(`task ${s.task_id} · agent ${s.agent ?? "-"}`)],
    [plain(s.summary ?? "")],
    ...(s.held_for.length ? [[colored(COLORS.held, `why held: ${s.held_for.join("; ")}`)]] : []),
    [muted("waits for: "), plain(waitsFor(d))],
    ...(s.status === "dead" || s.status === "awaiting_approval"
      ? [
          [
            muted("from a shell: "),
            plain(nextStep({ id: s.id, status: s.status, code: null, message: null })),
          ],
        ]
      : []),
    ...(d.dead ? [[colored(COLORS.bad, `dead: ${d.dead.reason_code}: ${d.dead.message}`)]] : []),
    ...(s.last_error ? [[colored(COLORS.bad, `last error: ${json(s.last_error)}`)]] : []),
    [muted("files")],
    ...s.files.map(
      (f): Line => [
        plain(`  ${f.operation.padEnd(7)} ${f.path}${f.new_path ? ` → ${f.new_path}` : ""} `),
        colored(COLORS.ok, `+${f.added}`),
        plain(" "),
        colored(COLORS.bad, `-${f.removed}`),
      ],
    ),
    [muted("validation")],
    ...(d.validation.length
      ? d.validation.flatMap((c): Line[] => [
          [
            colored(
              c.exit_code === 0 ? COLORS.ok : COLORS.bad,
              `  ${c.command}: ${c.timed_out ? "timed out" : `exit ${c.exit_code}`} in ${c.duration_ms} ms`,
            ),
          ],
          ...outputTail(c.stdout, c.stderr),
        ])
      : [[muted("  none ran")]]),
    ...s.approvals.map(
      (a): Line => [muted(`${a.decision} by ${a.actor} at ${a.at}${a.reason ? `: ${a.reason}` : ""}`)],
    ),
    [muted("diff")],
    ...d.patches.flatMap((p) =>
      p.patch ? diffLines(p.patch) : [[muted(`  ${p.operation} ${p.path} (no patch)`)]],
    ),
  ];
};

/** Engineer → Orchestrator → Developers, each task with its owned paths, agent, turn and change. */
export const requestDetailLines = (d: RequestDetail): Line[] => {
  const s = d.summary;
  const byTask = new Map(s.changes.map((c) => [c.task_id, c]));
  const latest = turnStates(d.turns);
  const engineer =
    d.stored === "needs_clarification"
      ? "waiting for answers (`hyperion answer`)"
      : d.brief || d.tasks.length > 0
        ? "scope brief recorded"
        : "clarifying scope";
  return [
    [strong(s.request.id), muted(" · "), status(s.request.status), muted(` · ${s.request.title}`)],
    [muted(s.asked)],
    ...(s.request.fallback
      ? [[colored(COLORS.warn, `stub stood in: ${d.fallbackReason ?? "see logs"}`)]]
      : []),
    [colored(COLORS.accent, "Engineer     "), plain(engineer)],
    [
      colored(COLORS.accent, "Orchestrator "),
      plain(
        d.tasks.length ? `${d.tasks.length} task${d.tasks.length === 1 ? "" : "s"} planned` : "no tasks yet",
      ),
    ],
    [colored(COLORS.accent, "Developers")],
    ...d.tasks.flatMap((t): Line[] => {
      const change = byTask.get(t.id);
      const turn = change
        ? [plain(`→ ${change.id} `), status(change.status)]
        : t.status === "no_changes"
          ? [muted("no changes")]
          : [turnText(latest.get(`developer:${t.id}`))];
      const owned = JSON.parse(t.owned_paths) as string[];
      return [
        [plain(`  ${t.id} `), muted(`${t.agent ?? "-"}${t.fallback ? " (stub fallback)" : ""} `), ...turn],
        [muted(`    owns ${owned.length ? owned.join(", ") : "-"}`)],
      ];
    }),
    [
      muted(
        `totals: ${s.totals.changes} changes, ${s.totals.applied} applied, ${s.totals.files} files +${s.totals.added} -${s.totals.removed}`,
      ),
    ],
  ];
};

/** The detail pane for whatever is selected. */
export const detailLines = (d: Detail | null): Line[] => {
  if (d === null) return [[muted("select a row and press Enter")]];
  switch (d.kind) {
    case "change":
      return changeDetailLines(d);
    case "request":
      return requestDetailLines(d);
    case "planning":
      return planningDetailLines(d.planning);
    case "log":
      return [
        [strong(`${d.log.event}`), muted(` · ${d.log.level} · ${d.log.ts}`)],
        [muted(`change ${d.log.change_id ?? "-"} · worker ${d.log.worker ?? "-"}`)],
        ...JSON.stringify(d.log.data, null, 2)
          .split("\n")
          .map((l): Line => [plain(l)]),
      ];
    case "file":
      return [
        [strong(d.mod.path), muted(` · ${d.mod.kind}`)],
        ...(d.mod.new_path ? [[plain(`renamed to ${d.mod.new_path}`)]] : []),
        [muted(`by ${d.mod.change_id ?? "-"} (${d.mod.source}) at ${d.mod.ts}`)],
      ];
    case "missing":
      return [[muted(`${d.what}: not in the database`)]];
  }
};
