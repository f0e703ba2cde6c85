/*
 * The `?` overlay: every control, then what each metric normally reads. Each line fits 80
 * columns and the whole overlay fits 24 rows, so the smallest supported terminal shows it all.
 */

export const HELP_KEYS: [string, string][] = [
  ["Tab Shift-Tab", "next / previous pane (insights, lists, detail)"],
  ["↑ ↓ j k PgUp PgDn", "move in a list; scroll the detail pane"],
  ["Enter / Esc", "open the selection in the detail pane / go back"],
  ["/", "filter the lists by text (Enter keeps, Esc clears)"],
  ["s", "cycle the change status filter (all, queued, ...)"],
  ["g", "cycle the agent filter through the queue's agents"],
  ["+ -", "refresh faster / slower (0.25 s to 10 s, in header)"],
  ["a", "approve the selected held change (asks y/n)"],
  ["r", "reject the selected held change (asks y/n)"],
  ["R", "retry the selected dead letter (asks y/n)"],
  ["?", "this help; any key closes it"],
  ["q Ctrl-C", "quit and restore the terminal"],
];

export const HELP_METRICS: [string, string][] = [
  ["depth", "by status now; queued drains to 0, a rise = workers lag"],
  ["ready", "queued and first in line on all paths: 0..queued"],
  ["oldest", "oldest queued: seconds while workers run; minutes=stuck"],
  ["throughput", "applied per minute over the window; 0 when idle"],
  ["apply p50/p95", "lease to applied: 1-50 ms small change, s with checks"],
  ["dequeue p50/p95", "enqueue to lease: under the poll (~1 s) when free"],
  ["workers", "● healthy; ○ not seen for 30 s or three of its polls"],
  ["dead, held", "0 expected; each waits for a person (R, a, r)"],
];

const KEY_WIDTH = 19;

/** The overlay's lines (at most 76 columns, 22 rows). */
export const helpText = (): string[] => [
  "Keys",
  ...HELP_KEYS.map(([k, v]) => `  ${k.padEnd(KEY_WIDTH)}${v}`),
  "Queue insights and their usual ranges",
  ...HELP_METRICS.map(([k, v]) => `  ${k.padEnd(KEY_WIDTH)}${v}`),
];
