import type { Database } from "bun:sqlite";
import type { CliRenderer, KeyEvent, MouseEvent, TextRenderable } from "@opentui/core";
import { HyperionError } from "../errors.ts";
import { approveChange, rejectChange } from "../governance/index.ts";
import type { Queue } from "../queue/index.ts";
import { CHANGE_STATUS_VALUES } from "../store/ddl/statuses.ts";
import { createFeed, type Detail, type Filters, type Snapshot } from "./data.ts";
import { buildLayout } from "./layout.ts";
import {
  COLORS,
  clip,
  colored,
  type Line,
  muted,
  plain,
  selected,
  strong,
  styled,
  textOf,
  wrap,
} from "./style.ts";
import {
  changeRow,
  detailLines,
  fileRow,
  insightsLines,
  LIST_PANES,
  type ListPane,
  logRow,
  PANE_TITLES,
  planningRow,
  requestRow,
  type Trend,
  windowOf,
} from "./view.ts";

/** The refresh rates `+` and `-` step through, in milliseconds. */
export const REFRESH_STEPS_MS = [250, 500, 1000, 2000, 5000, 10_000] as const;

export const PANES = ["insights", ...LIST_PANES, "detail"] as const;
export type Pane = (typeof PANES)[number];

export type DashboardOptions = {
  db: Database;
  queue: Queue;
  /** Shown in the header: the repository being watched. */
  label: string;
  /** Who approves or rejects from this dashboard (kept in `approvals`). */
  actor: string;
  refreshMs: number;
};

type Prompt =
  | { kind: "filter"; text: string }
  | { kind: "confirm"; action: "approve" | "reject" | "retry"; id: string };

const TREND_SAMPLES = 24;
/** How often an idle dashboard (nothing written since the last poll) still reads the metrics. */
export const IDLE_METRICS_MS = 15_000;
const errorLine = (e: unknown): string =>
  e instanceof HyperionError ? e.oneLine() : `E_INTERNAL: ${(e as Error)?.message ?? String(e)}`;
const DONE = { approve: "approved", reject: "rejected", retry: "retried" } as const;
const rateLabel = (ms: number) => `${ms / 1000}s`;

/**
 * Mounts the dashboard on `renderer` and starts polling. Reads go through the feed; the only
 * writes are approve/reject (lib/governance) and retry (lib/queue). Everything it starts stops
 * on the renderer's `destroy` event, so Ctrl-C or `q` leaves no timer keeping the process alive.
 */
export const mountDashboard = (renderer: CliRenderer, opts: DashboardOptions) => {
  const feed = createFeed(opts.db, opts.queue);
  const filters: Filters = {};
  let focus: Pane = "changes";
  let list: ListPane = "changes";
  const selectedId: Record<ListPane, string | null> = {
    changes: null,
    history: null,
    logs: null,
    files: null,
  };
  let detailScroll = 0;
  let refreshMs = opts.refreshMs;
  let helpOpen = false;
  let prompt: Prompt | null = null;
  let message: { text: string; tone: "ok" | "bad" } | null = null;
  let snap: Snapshot = feed.snapshot(filters);
  feed.changed();
  const trend: Trend = { apply: [], dequeue: [] };
  let detail: { key: string; value: Detail | null } = { key: "", value: null };

  const { header, insightsBox, insights, listBox, listText, detailBox, detailText, footer, help } =
    buildLayout(renderer);

  const rowsOf = (pane: ListPane): { id: string; line: (w: number) => Line }[] => {
    switch (pane) {
      case "changes":
        return snap.changes.map((c) => ({ id: c.id, line: (w) => changeRow(c, w) }));
      case "history":
        return [
          ...snap.planning.map((p) => ({ id: p.id, line: (w: number) => planningRow(p, w) })),
          ...snap.requests.map((r) => ({ id: r.id, line: (w: number) => requestRow(r, w) })),
        ];
      case "logs":
        return snap.logs.map((l) => ({ id: String(l.id), line: (w) => logRow(l, w) }));
      case "files":
        return snap.fileMods.map((f) => ({ id: String(f.id), line: (w) => fileRow(f, w) }));
    }
  };

  /** The selected row's index in the current list (the first row when the selection left it). */
  const indexOf = (pane: ListPane): number => {
    const rows = rowsOf(pane);
    const i = rows.findIndex((r) => r.id === selectedId[pane]);
    if (i >= 0) return i;
    selectedId[pane] = rows[0]?.id ?? null;
    return 0;
  };

  const loadDetail = (): Detail | null => {
    const id = selectedId[list];
    if (id === null) return null;
    switch (list) {
      case "changes":
        return feed.change(id);
      case "history":
        return feed.request(id);
      case "logs": {
        const log = snap.logs.find((l) => String(l.id) === id);
        return log ? { kind: "log", log } : null;
      }
      case "files": {
        const mod = snap.fileMods.find((f) => String(f.id) === id);
        return mod ? { kind: "file", mod } : null;
      }
    }
  };

  // Sizes: the insights take three rows (more with workers on a tall terminal); the rest is the body.
  const insightRows = () => (renderer.height >= 40 ? 3 + Math.min(4, snap.metrics.workers.length) : 3);
  const listWidth = () => Math.floor(renderer.width / 2) - 2;
  const bodyRows = () => Math.max(1, renderer.height - 2 - (insightRows() + 2) - 2);

  // What each region shows now; a region whose text did not change is not touched.
  const drawn = new Map<string, string>();
  const put = (key: string, target: TextRenderable, lines: Line[], extra = ""): void => {
    const text = textOf(lines) + extra;
    if (drawn.get(key) === text) return;
    drawn.set(key, text);
    target.content = styled(lines);
  };
  const setProp = (key: string, value: string, apply: () => void) => {
    if (drawn.get(key) === value) return;
    drawn.set(key, value);
    apply();
  };

  const filterLabel = () =>
    `status ${filters.status ?? "all"} · agent ${filters.agent ?? "all"}${filters.text ? ` · "${filters.text}"` : ""}`;

  const draw = (): void => {
    const w = renderer.width;
    put("header", header, [
      clip(
        [
          strong("Hyperion"),
          muted(` ${opts.label} · `),
          plain(`refresh ${rateLabel(refreshMs)}`),
          muted(" (+/-) · "),
          plain(filterLabel()),
          muted(" · ? help"),
        ],
        w,
      ),
    ]);
    const rows = insightRows();
    setProp("insights-height", String(rows), () => {
      insightsBox.height = rows + 2;
    });
    put(
      "insights",
      insights,
      insightsLines(snap.metrics, trend, rows).map((l) => clip(l, w - 2)),
    );

    const lw = listWidth();
    const items = rowsOf(list);
    const at = indexOf(list);
    const height = bodyRows();
    const [from, to] = windowOf(items.length, at, height);
    const lines = items
      .slice(from, to)
      .map((r, i) => (from + i === at ? selected(clip(r.line(lw), lw), lw) : clip(r.line(lw), lw)));
    put(
      "list",
      listText,
      lines.length
        ? lines
        : [
            [
              muted(
                filters.text || filters.status || filters.agent
                  ? "nothing matches the filters"
                  : "nothing yet",
              ),
            ],
          ],
      `@${at}`,
    );
    const tabs = LIST_PANES.map((p) => (p === list ? `[${PANE_TITLES[p]}]` : PANE_TITLES[p])).join(" ");
    setProp("list-title", `${tabs} ${items.length}`, () => {
      listBox.title = `${tabs} (${items.length})`;
    });

    const key = `${list}:${selectedId[list]}`;
    if (detail.key !== key) {
      detail = { key, value: loadDetail() };
      detailScroll = 0;
    }
    const dw = w - lw - 4;
    const all = detailLines(detail.value).flatMap((l) => wrap(l, dw));
    detailScroll = Math.max(0, Math.min(detailScroll, all.length - height));
    put("detail", detailText, all.slice(detailScroll, detailScroll + height));

    for (const [pane, box] of [
      ["insights", insightsBox],
      ["list", listBox],
      ["detail", detailBox],
    ] as const) {
      const on = pane === "list" ? (LIST_PANES as readonly string[]).includes(focus) : focus === pane;
      setProp(`focus-${pane}`, String(on), () => {
        box.borderColor = on ? COLORS.accent : COLORS.muted;
      });
    }

    const foot: Line = prompt
      ? prompt.kind === "filter"
        ? [colored(COLORS.accent, "filter: "), plain(prompt.text), muted("▏ Enter keeps · Esc clears")]
        : [
            colored(COLORS.warn, `${prompt.action} ${prompt.id}? `),
            strong("y"),
            muted(" yes · any other key: no"),
          ]
      : message
        ? [colored(message.tone === "ok" ? COLORS.ok : COLORS.bad, message.text)]
        : [muted("Tab pane · jk move · Enter open · /sg filter · +- rate · a r R · ? help · q quit")];
    put("footer", footer, [clip(foot, w)]);
    setProp("help", String(helpOpen), () => {
      help.visible = helpOpen;
    });
  };

  /**
   * Reads the store: everything when another process wrote (or on `force`). While nothing was
   * written only the metrics can move (ages, the sliding window), and they cost the most on a big
   * queue, so an idle dashboard reads them at most every IDLE_METRICS_MS.
   */
  let metricsAt = Date.now();
  const load = (force: boolean): void => {
    const now = Date.now();
    if (force || feed.changed()) {
      snap = feed.snapshot(filters);
      detail = { key: "", value: null };
    } else if (now - metricsAt >= IDLE_METRICS_MS) snap = { ...snap, metrics: feed.metrics() };
    else return;
    metricsAt = now;
    for (const [k, v] of [
      ["apply", snap.metrics.latency_ms.apply.p50],
      ["dequeue", snap.metrics.latency_ms.dequeue.p50],
    ] as const) {
      trend[k].push(v);
      if (trend[k].length > TREND_SAMPLES) trend[k].shift();
    }
    draw();
  };

  // A poll that fails (the database locked past its wait, a row edited by hand) says so on the
  // footer and the next poll tries again; it never takes the screen down.
  const poll = (force = false) => {
    try {
      load(force);
    } catch (e) {
      message = { text: errorLine(e), tone: "bad" };
      draw();
    }
  };
  let timer = setInterval(() => poll(), refreshMs);
  const setRate = (ms: number) => {
    refreshMs = ms;
    clearInterval(timer);
    timer = setInterval(() => poll(), refreshMs);
  };

  const move = (delta: number) => {
    if (focus === "detail") {
      detailScroll = Math.max(0, detailScroll + delta);
      return;
    }
    const rows = rowsOf(list);
    if (rows.length === 0) return;
    const next = Math.max(0, Math.min(rows.length - 1, indexOf(list) + delta));
    selectedId[list] = rows[next]!.id;
  };

  const selectedChange = () =>
    list === "changes" && selectedId.changes ? opts.queue.get(selectedId.changes) : null;

  const ask = (action: "approve" | "reject" | "retry") => {
    const change = selectedChange();
    if (!change) {
      message = { text: "select a change in the Changes list first", tone: "bad" };
      return;
    }
    const needs = action === "retry" ? "dead" : "awaiting_approval";
    if (change.status !== needs) {
      message = {
        text: `${change.id} is ${change.status}: only a ${action === "retry" ? "dead letter can be retried" : `change awaiting approval can be ${action}d`}`,
        tone: "bad",
      };
      return;
    }
    prompt = { kind: "confirm", action, id: change.id };
  };

  const act = (p: Extract<Prompt, { kind: "confirm" }>) => {
    try {
      if (p.action === "approve") approveChange(opts.db, opts.queue, p.id, opts.actor, "from the dashboard");
      else if (p.action === "reject")
        rejectChange(opts.db, opts.queue, p.id, opts.actor, "rejected from the dashboard");
      else opts.queue.retry(p.id);
      const now = opts.queue.get(p.id)?.status ?? "gone";
      message = { text: `${p.id} ${DONE[p.action]}: ${now}`, tone: "ok" };
    } catch (e) {
      // A change another operator decided meanwhile says so here, never as a stack on the screen.
      message = { text: errorLine(e), tone: "bad" };
    }
  };

  const onKey = (k: KeyEvent): void => {
    const ch = k.sequence.length === 1 && !k.ctrl && !k.meta ? k.sequence : "";
    if (k.ctrl && k.name === "c") {
      renderer.destroy();
      return;
    }
    if (helpOpen) {
      helpOpen = false;
      return void draw();
    }
    if (prompt?.kind === "confirm") {
      const p = prompt;
      prompt = null;
      if (ch === "y" || ch === "Y") act(p);
      else message = { text: `${p.action} ${p.id}: cancelled`, tone: "ok" };
      return void load(true);
    }
    if (prompt?.kind === "filter") {
      if (k.name === "escape") prompt = null;
      else if (k.name === "return" || k.name === "enter") prompt = null;
      else if (k.name === "backspace") prompt.text = prompt.text.slice(0, -1);
      else if (ch && ch >= " ") prompt.text += ch;
      filters.text = prompt ? prompt.text || undefined : k.name === "escape" ? undefined : filters.text;
      return void load(true);
    }
    message = null;
    if (k.name === "tab") {
      const i = PANES.indexOf(focus);
      focus = PANES[(i + (k.shift ? PANES.length - 1 : 1)) % PANES.length]!;
      if ((LIST_PANES as readonly string[]).includes(focus)) list = focus as ListPane;
      return void draw();
    }
    const page = Math.max(1, bodyRows() - 1);
    if (k.name === "down" || ch === "j") move(1);
    else if (k.name === "up" || ch === "k") move(-1);
    else if (k.name === "pagedown") move(page);
    else if (k.name === "pageup") move(-page);
    else if (k.name === "return" || k.name === "enter") focus = "detail";
    else if (k.name === "escape") focus = focus === "detail" ? list : focus;
    else if (ch === "q") return void renderer.destroy();
    else if (ch === "?") helpOpen = true;
    else if (ch === "/") prompt = { kind: "filter", text: filters.text ?? "" };
    else if (ch === "s") {
      const order = [undefined, ...CHANGE_STATUS_VALUES];
      filters.status = order[(order.indexOf(filters.status as never) + 1) % order.length];
      return void load(true);
    } else if (ch === "g") {
      const order = [undefined, ...snap.agents];
      filters.agent = order[(order.indexOf(filters.agent) + 1) % order.length];
      return void load(true);
    } else if (ch === "+" || ch === "=") {
      const i = REFRESH_STEPS_MS.findIndex((s) => s >= refreshMs);
      setRate(REFRESH_STEPS_MS[Math.max(0, (i === -1 ? REFRESH_STEPS_MS.length : i) - 1)]!);
    } else if (ch === "-") {
      const i = REFRESH_STEPS_MS.findIndex((s) => s > refreshMs);
      setRate(REFRESH_STEPS_MS[i === -1 ? REFRESH_STEPS_MS.length - 1 : i]!);
    } else if (ch === "a") ask("approve");
    else if (ch === "r") ask("reject");
    else if (ch === "R") ask("retry");
    else return;
    draw();
  };

  const onScroll = (e: MouseEvent) => {
    const d = e.scroll?.direction;
    if (d === "up" || d === "down") {
      move(d === "down" ? 3 : -3);
      draw();
    }
  };
  const onClick = (e: MouseEvent) => {
    const rows = rowsOf(list);
    const [from] = windowOf(rows.length, indexOf(list), bodyRows());
    const row = rows[from + (e.y - listBox.y - 1)];
    if (row) {
      selectedId[list] = row.id;
      focus = list;
      draw();
    }
  };
  listBox.onMouseScroll = onScroll;
  listBox.onMouseDown = onClick;
  detailBox.onMouseScroll = (e) => {
    const d = e.scroll?.direction;
    if (d === "up" || d === "down") {
      detailScroll = Math.max(0, detailScroll + (d === "down" ? 3 : -3));
      draw();
    }
  };

  const onResize = () => draw();
  renderer.keyInput.on("keypress", onKey);
  renderer.on("resize", onResize);
  renderer.once("destroy", () => {
    clearInterval(timer);
    renderer.keyInput.off("keypress", onKey);
    renderer.off("resize", onResize);
  });
  draw();

  return {
    /** A poll now, as the timer makes it (tests and benchmarks); `force` reads everything. */
    refresh: (force = true) => poll(force),
    /** Redraws from what was last read. */
    draw,
    /** The refresh interval now, in ms. */
    refreshMs: () => refreshMs,
    /** Stops polling without destroying the renderer. */
    stop: () => clearInterval(timer),
  };
};
export type Dashboard = ReturnType<typeof mountDashboard>;
