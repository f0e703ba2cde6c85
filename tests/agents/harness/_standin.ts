import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { HarnessConfig } from "../../../lib/schema/index.ts";

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

/** A harness config forwarding the stand-in's control variables. */
export const standinConfig = (over: Partial<HarnessConfig> = {}): HarnessConfig =>
  HarnessConfig.parse({
    env_extra: ["HYPERION_STANDIN*"],
    ...over,
  });
