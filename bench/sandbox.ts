/**
 * `bun run bench:sandbox`: what bubblewrap adds to the start of one agent turn. The same turn
 * (runTurn -> the command harness -> a trivial agent that prints an Engineer answer) with
 * `agents.sandbox: required` and with `off` (the anchor), interleaved in one run, for a shell
 * agent and for a Bun agent (a JS CLI's start). Everything else in the turn (prompt, private
 * home, live-tree check before and after, parsing) is the same in both, so the difference of the
 * medians is the sandbox's own cost. Also the bare process start: `bwrap <the same mounts> true`
 * beside `true`.
 */
import { chmodSync, cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  createStubHarness,
  type EngineerInput,
  runTurn,
  selectHarness,
  stubEngineer,
} from "../lib/agents/index.ts";
import { bwrapArgs, bwrapPath } from "../lib/agents/sandbox/index.ts";
import { Config, EngineerOutput, TaskRequest } from "../lib/schema/index.ts";
import { initRepo } from "../lib/store/index.ts";

const ROUNDS = 60;
const WARMUP = 5;

const input: EngineerInput = {
  request: { ...TaskRequest.parse({ title: "bench", edits: [] }), id: "r-1" },
  answers: [],
  assume: true,
  files: [],
};

const root = mkdtempSync(join(tmpdir(), "hyperion-bench-sandbox-"));
// The repository's key and the agents' homes stay in the bench's own directory.
process.env.XDG_STATE_HOME = join(root, "state");
const repo = join(root, "repo");
cpSync(join(import.meta.dir, "..", "testapp"), repo, { recursive: true });
initRepo({ repo });
mkdirSync(join(root, "agents"));
const answer = JSON.stringify(stubEngineer(input));
const agents = {
  "shell agent": { path: join(root, "agents", "agent.sh"), text: `#!/bin/sh\necho '${answer}'\n` },
  "Bun agent": {
    path: join(root, "agents", "agent.js"),
    text: `#!${process.execPath}\nprocess.stdout.write(${JSON.stringify(answer)});\n`,
  },
};
for (const a of Object.values(agents)) {
  writeFileSync(a.path, a.text);
  chmodSync(a.path, 0o755);
}
const env = {
  PATH: process.env.PATH ?? "/usr/bin:/bin",
  HOME: join(root, "home"),
  XDG_STATE_HOME: join(root, "state"),
};

const harness = (agent: string, sandbox: "required" | "off") =>
  selectHarness("command", {
    repo,
    config: Config.parse({ agents: { sandbox, command: { command: agent, template: [] } } }),
    env,
  });

const turn = async (h: ReturnType<typeof harness>): Promise<number> => {
  const t = performance.now();
  await runTurn(
    { role: "engineer", input },
    {
      harness: h,
      stub: createStubHarness(),
      fallback: false,
      timeoutMs: 30_000,
      repo,
      contract: EngineerOutput,
    },
  );
  return performance.now() - t;
};

const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)]!, p90: s[Math.floor(s.length * 0.9)]! };
};
const ms = (x: number) => `${x.toFixed(1)} ms`;

const rows: string[][] = [];
for (const [name, a] of Object.entries(agents)) {
  const on = harness(a.path, "required");
  const off = harness(a.path, "off");
  const times = { on: [] as number[], off: [] as number[] };
  for (let i = 0; i < WARMUP; i++) {
    await turn(on);
    await turn(off);
  }
  for (let i = 0; i < ROUNDS; i++) {
    // Alternate which goes first, so neither always runs on a warmer cache.
    if (i % 2 === 0) {
      times.on.push(await turn(on));
      times.off.push(await turn(off));
    } else {
      times.off.push(await turn(off));
      times.on.push(await turn(on));
    }
  }
  const s = { on: stats(times.on), off: stats(times.off) };
  rows.push([
    `one turn, ${name}`,
    ms(s.off.median),
    ms(s.off.p90),
    ms(s.on.median),
    ms(s.on.p90),
    ms(s.on.median - s.off.median),
  ]);
}

// The bare start: the same mounts a turn gets, around `true`.
const bare = async (argv: string[]) => {
  const t = performance.now();
  const p = Bun.spawn(argv, { stdout: "ignore", stderr: "ignore", stdin: "ignore" });
  await p.exited;
  return performance.now() - t;
};
const dir = (n: string) => {
  const d = join(root, "bare", n);
  mkdirSync(d, { recursive: true });
  return d;
};
const job = {
  argv: ["/bin/true"],
  workspace: dir("work"),
  home: dir("home"),
  cache: dir("cache"),
  decoys: [{ at: repo, dir: dir("decoy") }],
  readOnly: [],
  writable: [],
  network: false,
  env: {},
  signal: new AbortController().signal,
};
const wrapped = [bwrapPath(), ...bwrapArgs(job), "--", "/bin/true"];
const times = { on: [] as number[], off: [] as number[] };
for (let i = 0; i < WARMUP; i++) await bare(wrapped);
for (let i = 0; i < ROUNDS; i++) {
  times.off.push(await bare(["/bin/true"]));
  times.on.push(await bare(wrapped));
}
const s = { on: stats(times.on), off: stats(times.off) };
rows.push([
  "bare start of `true`",
  ms(s.off.median),
  ms(s.off.p90),
  ms(s.on.median),
  ms(s.on.p90),
  ms(s.on.median - s.off.median),
]);

const head = ["", "unsandboxed (anchor) median", "p90", "in bubblewrap median", "p90", "added (median)"];
const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
const line = (r: string[]) =>
  `| ${r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(" | ")} |`;
console.log(
  `bun run bench:sandbox, ${new Date().toISOString().slice(0, 16).replace("T", " ")}, ${ROUNDS} rounds each, interleaved`,
);
console.log(line(head));
console.log(`| ${widths.map((w, i) => (i === 0 ? "-".repeat(w) : `${"-".repeat(w - 1)}:`)).join(" | ")} |`);
for (const r of rows) console.log(line(r));
rmSync(root, { recursive: true, force: true });
