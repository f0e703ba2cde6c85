import { chmodSync, cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { HarnessConfig } from "../../../lib/schema/index.ts";
import { ROOT } from "../../_helpers.ts";

const STANDIN = join(import.meta.dir, "standin.ts");

export const CLI_NAMES = ["copilot", "claude", "codex", "gemini"] as const;

/** Writes executables named like the real CLIs into `<dir>/bin`; returns that directory. */
export const standinBin = (dir: string): string => {
  const bin = join(dir, "bin");
  mkdirSync(bin, { recursive: true });
  for (const name of CLI_NAMES) {
    const path = join(bin, name);
    writeFileSync(path, `#!${process.execPath}\nimport ${JSON.stringify(STANDIN)};\n`);
    chmodSync(path, 0o755);
  }
  return bin;
};

/** One run as the stand-in recorded it. */
export type StandinRun = {
  cli: string;
  argv: string[];
  cwd: string;
  pid: number;
  home: string;
  env: string[];
  scenario: string;
  session?: string;
  turns?: number;
  error?: string;
  running?: number;
  /** The prompt as the stand-in read it (from the argument, or the file it names). */
  prompt: string;
  /** Instruction files (AGENTS.md, CLAUDE.md...) in its working directory or above it. */
  instructions: string[];
};

export const readRuns = (log: string): StandinRun[] =>
  existsSync(log)
    ? readFileSync(log, "utf8")
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l) as StandinRun)
    : [];

/** An operator environment: the stand-ins first on PATH, plus whatever the test adds. */
export const operatorEnv = (bin: string, extra: Record<string, string> = {}) => ({
  PATH: `${bin}:${dirname(process.execPath)}:/usr/bin:/bin`,
  HOME: "/home/operator-should-not-leak",
  ...extra,
});

/**
 * Everything a stand-in needs, outside the repository (inside the sandbox the repository is not
 * there): `bin/` (the stand-ins), `state/` (XDG_STATE_HOME: homes and workspaces), `shared/`
 * (read-write in the sandbox: the run log, concurrency markers) and `model/`, the "model's"
 * read-only copy of the repository (a real model learns the repository from the prompt; the
 * stand-in's stub reads it there).
 */
export type StandinKit = { bin: string; state: string; shared: string; model: string; log: string };

export const standinKit = (fx: { path: string; outside: string }): StandinKit => {
  const kit = {
    bin: standinBin(fx.outside),
    state: join(fx.outside, "state"),
    shared: join(fx.outside, "shared"),
    model: join(fx.outside, "model"),
    log: join(fx.outside, "shared", "standin.log"),
  };
  for (const d of [kit.state, kit.shared]) mkdirSync(d, { recursive: true });
  cpSync(fx.path, kit.model, { recursive: true, filter: (src) => !src.includes("/.hyperion") });
  return kit;
};

/** The operator's environment for a kit: its stand-ins, its state directory, its log and model view. */
export const kitEnv = (kit: StandinKit, extra: Record<string, string> = {}) =>
  operatorEnv(kit.bin, {
    XDG_STATE_HOME: kit.state,
    HYPERION_STANDIN_LOG: kit.log,
    HYPERION_STANDIN_REPO: kit.model,
    HYPERION_STANDIN_SHARED: kit.shared,
    ...extra,
  });

/** A harness config forwarding the stand-in's control variables, showing it this source tree and the kit. */
export const standinConfig = (kit: StandinKit, over: Partial<HarnessConfig> = {}): HarnessConfig =>
  HarnessConfig.parse({
    env_extra: ["HYPERION_STANDIN*"],
    read_paths: [ROOT, kit.model],
    write_paths: [kit.shared],
    ...over,
  });
