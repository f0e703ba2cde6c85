import type { CliSpec } from "./spec.ts";
import { CLIS } from "./table.ts";

/** One coding CLI as found on this machine. */
export type CliVersion = {
  agent: string;
  bin: string;
  /** Where it is on PATH; null when absent. */
  path: string | null;
  /** What `<bin> --version` printed (the first x.y.z); null when absent or unreadable. */
  version: string | null;
  /** The version Hyperion's flags and parser for it were checked against. */
  checked: string;
};

const SEMVER = /\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.-]+)?/;

/** Runs `<bin> --version` (at most 15 s) in a scratch HOME-less environment and reads x.y.z. */
export const cliVersion = (
  spec: CliSpec,
  env: Record<string, string | undefined> = process.env,
  bin = spec.bin,
): CliVersion => {
  const path = bin ? Bun.which(bin, { PATH: env.PATH ?? "" }) : null;
  if (!path) return { agent: spec.name, bin, path: null, version: null, checked: spec.checked };
  let version: string | null = null;
  try {
    const r = Bun.spawnSync([path, "--version"], {
      env: { PATH: env.PATH ?? "", HOME: env.HOME ?? "", NO_COLOR: "1" },
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
      timeout: 15_000,
    });
    version = `${r.stdout.toString()}\n${r.stderr.toString()}`.match(SEMVER)?.[0] ?? null;
  } catch {
    version = null;
  }
  return { agent: spec.name, bin, path, version, checked: spec.checked };
};

/** The four named coding CLIs (not `command`), as found on PATH, with their versions. */
export const agentVersions = (env: Record<string, string | undefined> = process.env): CliVersion[] =>
  [CLIS.copilot, CLIS.claude, CLIS.codex, CLIS.gemini].map((s) => cliVersion(s, env));
