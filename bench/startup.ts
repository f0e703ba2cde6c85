/**
 * `bun run bench:startup`: how soon the compiled `hyperion` starts, built with bytecode (the build)
 * beside the same build without it (the anchor, `scripts/build.ts --no-bytecode`), in the same run.
 * Each command is timed by hyperfine (`apt-get install hyperfine`), no shell, after warm-up runs:
 * `--version` (start-up alone) and `list --json` in an initialised repository (start-up, opening
 * the database, one listing). Prints the markdown of docs/PERFORMANCE.md's "Start-up" section.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { z } from "zod";

const ROOT = join(import.meta.dir, "..");
const RUNS = 50;
const log = (s: string) => process.stderr.write(`${s}\n`);

if (Bun.which("hyperfine") === null) {
  log("bench:startup needs hyperfine on PATH (apt-get install hyperfine)");
  process.exit(1);
}

const dir = mkdtempSync(join(tmpdir(), "hyperion-bench-startup-"));
process.on("exit", () => rmSync(dir, { recursive: true, force: true }));

const build = (name: string, extra: string[]): string => {
  const out = join(dir, name, "hyperion");
  const r = Bun.spawnSync([process.execPath, join(ROOT, "scripts/build.ts"), "--outfile", out, ...extra], {
    env: process.env,
    stderr: "pipe",
  });
  if (r.exitCode !== 0) throw new Error(`build ${name} failed: ${r.stderr.toString()}`);
  return out;
};
log("building both binaries");
const bytecode = build("bytecode", []);
const plain = build("plain", ["--no-bytecode"]);

const repo = join(dir, "repo");
Bun.spawnSync(["mkdir", repo]);
if (Bun.spawnSync([bytecode, "init", "--repo", repo], { env: process.env }).exitCode !== 0) {
  throw new Error("hyperion init failed");
}

const Result = z.object({
  results: z.array(z.object({ mean: z.number(), stddev: z.number(), median: z.number() })),
});

/** hyperfine over the anchor and the build, same arguments, interleaved warm-up; seconds. */
const time = (args: string) => {
  const json = join(dir, "hyperfine.json");
  const r = Bun.spawnSync(
    [
      "hyperfine",
      "-N",
      "--warmup",
      "5",
      "--runs",
      String(RUNS),
      "--export-json",
      json,
      `${plain} ${args}`,
      `${bytecode} ${args}`,
    ],
    { env: process.env, stdout: "ignore", stderr: "pipe" },
  );
  if (r.exitCode !== 0) throw new Error(`hyperfine failed: ${r.stderr.toString()}`);
  const [a, b] = Result.parse(JSON.parse(readFileSync(json, "utf8"))).results;
  return { plain: a!, bytecode: b! };
};

const ms = (s: { mean: number; stddev: number }) =>
  `${(s.mean * 1000).toFixed(1)} ± ${(s.stddev * 1000).toFixed(1)} ms`;
const rows = [
  ["`dist/hyperion --version`", "--version"],
  ["`dist/hyperion list --json` (initialised repository)", `list --json --repo ${repo}`],
].map(([label, args]) => {
  log(`timing ${label}`);
  const t = time(args!);
  return `| ${label} | ${ms(t.plain)} | ${ms(t.bytecode)} | ${(t.plain.mean / t.bytecode.mean).toFixed(2)}x |`;
});
const mib = (p: string) => `${(statSync(p).size / 2 ** 20).toFixed(0)} MiB`;

console.log(`Bun ${Bun.version}, ${RUNS} runs each after 5 warm-up runs (hyperfine -N), mean ± sd.

| command | anchor: no bytecode | bytecode (the build) | faster |
| --- | --- | --- | --- |
${rows.join("\n")}
| binary size | ${mib(plain)} | ${mib(bytecode)} | |`);
