/**
 * `bun run bench:tui`: the dashboard's two costs, each beside an anchor measured in the same run.
 *
 * 1. Idle CPU at a 1 s refresh: `hyperion tui` (from source, on a real pseudo-terminal in a private
 *    tmux server) over a seeded database nobody writes to; CPU time from /proc/PID/stat over 20 s.
 *    Anchor: an idle Bun process with a 1 s timer, measured the same way in the same tmux.
 * 2. A redraw of 100-row panes: OpenTUI's test renderer at 200x112, so the change list shows 100
 *    rows; one `j` (the selection moves: list and detail redrawn) and one full refresh (every
 *    listing read again, then drawn), each with its frame rendered. Anchor: a frame of the same
 *    size with nothing changed.
 *
 * The database holds 20,000 changes (half applied), so the reads are not free. Prints the markdown
 * of docs/PERFORMANCE.md's "Dashboard" section; exits 1 when a figure passes its target (idle CPU
 * under 3 %, a redraw under 16 ms).
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTestRenderer } from "@opentui/core/testing";
import { createQueue } from "../lib/queue/index.ts";
import type { ChangeRequest } from "../lib/schema/index.ts";
import { initRepo, openRepo, readSecret } from "../lib/store/index.ts";
import { mountDashboard } from "../lib/tui/index.ts";

const CHANGES = 20_000;
const IDLE_S = 20;
const RUNS = 60;
const ROOT = join(import.meta.dir, "..");
const log = (s: string) => process.stderr.write(`${s}\n`);

const dir = mkdtempSync(join(tmpdir(), "hyperion-bench-tui-"));
process.on("exit", () => rmSync(dir, { recursive: true, force: true }));
initRepo({ repo: dir });
{
  using repo = openRepo({ repo: dir });
  const queue = createQueue(repo.db, { secret: readSecret(repo.loc), config: repo.config.queue });
  const patch = (i: number) =>
    `--- /dev/null\n+++ b/src/f${i}.ts\n@@ -0,0 +1,3 @@\n+export const a${i} = 1;\n+export const b${i} = 2;\n+export const c${i} = 3;\n`;
  const cr = (i: number): ChangeRequest => ({
    id: `cr-${i}`,
    task_id: `t-${i}`,
    agent: `agent-${i % 4}`,
    summary: `change number ${i} of the benchmark`,
    changes: [{ path: `src/f${i}.ts`, operation: "create", patch: patch(i) }],
  });
  for (let i = 0; i < CHANGES; i += 1_000) queue.enqueue(Array.from({ length: 1_000 }, (_, k) => cr(i + k)));
  for (let i = 0; i < CHANGES / 2; i++) {
    const l = queue.lease(`bench:${process.pid}:w${i % 2}`)!;
    queue.complete(l.id, l.token);
  }
}

// --- 1. idle CPU ---------------------------------------------------------------------------
const TICKS = 100; // USER_HZ: /proc/PID/stat counts CPU time in 1/100 s on Linux
const cpuTicks = (pid: number): number => {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return Number(fields[11]) + Number(fields[12]); // utime + stime
};
const socket = `hyperion-bench-${process.pid}`;
const tmux = (...args: string[]) => {
  const r = Bun.spawnSync(["tmux", "-L", socket, "-f", "/dev/null", ...args]);
  if (r.exitCode !== 0) throw new Error(`tmux ${args[0]}: ${r.stderr}`);
  return r.stdout.toString();
};
let socketPath = "";
process.on("exit", () => {
  Bun.spawnSync(["tmux", "-L", socket, "kill-server"]);
  if (socketPath) rmSync(socketPath, { force: true });
});
const idleCpu = async (name: string, cmd: string, ready: (screen: string) => boolean): Promise<number> => {
  tmux("new-session", "-d", "-s", name, "-x", "120", "-y", "40", `exec ${cmd}`);
  socketPath = tmux("display-message", "-p", "#{socket_path}").trim();
  const deadline = Date.now() + 30_000;
  while (!ready(tmux("capture-pane", "-p", "-t", name))) {
    if (Date.now() > deadline) throw new Error(`${name} did not start`);
    await Bun.sleep(100);
  }
  const pid = Number(tmux("display-message", "-p", "-t", name, "#{pane_pid}").trim());
  await Bun.sleep(2_000); // past start-up
  const [t0, c0] = [performance.now(), cpuTicks(pid)];
  await Bun.sleep(IDLE_S * 1000);
  const [t1, c1] = [performance.now(), cpuTicks(pid)];
  tmux("kill-session", "-t", name);
  return ((c1 - c0) / TICKS / ((t1 - t0) / 1000)) * 100;
};
log(`idle CPU over ${IDLE_S} s each ...`);
const anchorCpu = await idleCpu(
  "anchor",
  `${process.execPath} -e "setInterval(() => {}, 1000); console.log('ready')"`,
  (s) => s.includes("ready"),
);
const tuiCpu = await idleCpu(
  "tui",
  `${process.execPath} ${join(ROOT, "cmd/hyperion.ts")} tui --refresh 1 --repo ${dir}`,
  (s) => s.includes("Queue insights"),
);

// --- 2. a redraw of 100-row panes ------------------------------------------------------------
using repo = openRepo({ repo: dir });
const queue = createQueue(repo.db, { secret: readSecret(repo.loc), config: repo.config.queue });
const screen = await createTestRenderer({ width: 200, height: 112, nativeSceneVerify: false });
const dash = mountDashboard(screen.renderer, {
  db: repo.db,
  queue,
  label: "bench",
  actor: "bench",
  refreshMs: 10_000,
});
dash.stop();
await screen.renderOnce();
const rows = screen
  .captureCharFrame()
  .split("\n")
  .filter((l) => /│cr-\d+ /.test(l)).length;
if (rows < 100) throw new Error(`the change list shows ${rows} rows, not 100`);

const time = async (fn: () => void): Promise<number[]> => {
  const out: number[] = [];
  for (let i = 0; i < RUNS + 5; i++) {
    const t = performance.now();
    fn();
    await screen.renderOnce();
    if (i >= 5) out.push(performance.now() - t);
  }
  return out.sort((a, b) => a - b);
};
let down = true;
const anchor = await time(() => {});
const move = await time(() => {
  // j and k in turn, so every run moves the selection and redraws the list and the detail.
  screen.mockInput.pressKey(down ? "j" : "k");
  down = !down;
});
const full = await time(() => dash.refresh(true));
await screen.dispose();

const med = (xs: number[]) => xs[Math.floor(xs.length / 2)]!;
const p95 = (xs: number[]) => xs[Math.min(xs.length - 1, Math.ceil(xs.length * 0.95) - 1)]!;
const f = (x: number) => x.toFixed(2);
const when = new Date().toISOString().slice(0, 16).replace("T", ", ");
process.stdout.write(
  [
    `\`bun run bench:tui\`, ${when} UTC, ${CHANGES.toLocaleString("en")} changes in the database (half applied):`,
    "",
    "| idle, 1 s refresh, 120x40 in tmux | CPU (mean over 20 s) | target |",
    "| --- | --- | --- |",
    `| anchor: idle bun with a 1 s timer | ${anchorCpu.toFixed(2)} % | |`,
    `| \`hyperion tui --refresh 1\` | ${tuiCpu.toFixed(2)} % | < 3 % |`,
    "",
    `| frame at 200x112, change list of ${rows} rows (${RUNS} runs) | median ms | p95 ms | target |`,
    "| --- | --- | --- | --- |",
    `| anchor: a frame with nothing changed | ${f(med(anchor))} | ${f(p95(anchor))} | |`,
    `| \`j\`: selection moves, list and detail redrawn | ${f(med(move))} | ${f(p95(move))} | < 16 |`,
    `| full refresh: every listing and the metrics read again, then drawn | ${f(med(full))} | ${f(p95(full))} | |`,
    "",
  ].join("\n"),
);
const over = tuiCpu >= 3 || med(move) >= 16;
process.exit(over ? 1 : 0);
