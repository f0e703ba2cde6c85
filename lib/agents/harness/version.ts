import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PROXY_VARS } from "./env.ts";
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
  /** How the installed version compares with the checked one; null when unknown. */
  against: "same" | "newer" | "older" | null;
};

const SEMVER = /\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.-]+)?/;

/** Compares the x.y.z of two versions: -1, 0 or 1. */
export const compareVersions = (a: string, b: string): number => {
  const pa = a.split(/[.+-]/).slice(0, 3).map(Number);
  const pb = b.split(/[.+-]/).slice(0, 3).map(Number);
  for (let i = 0; i < 3; i++) if ((pa[i] ?? 0) !== (pb[i] ?? 0)) return (pa[i] ?? 0) < (pb[i] ?? 0) ? -1 : 1;
  return 0;
};

/** Passed to `--version` besides PATH: a CLI behind a proxy may check for updates. */
const PASSED = ["LANG", "LC_ALL", ...PROXY_VARS];

/**
 * Runs `<bin> --version` (at most 15 s) with a throwaway HOME, removed afterwards: a CLI may
 * unpack itself or write state there (copilot unpacked ~235 MB into ~/.cache, gemini left
 * files in ~/.gemini), and the operator's home is not the place. Reads the first x.y.z.
 */
export const cliVersion = (
  spec: CliSpec,
  env: Record<string, string | undefined> = process.env,
  bin = spec.bin,
): CliVersion => {
  const path = bin ? Bun.which(bin, { PATH: env.PATH ?? "" }) : null;
  const base = { agent: spec.name, bin, path, checked: spec.checked };
  if (!path) return { ...base, version: null, against: null };
  let version: string | null = null;
  const home = mkdtempSync(join(tmpdir(), "hyperion-version-"));
  try {
    const passed = Object.fromEntries(PASSED.flatMap((k) => (env[k] === undefined ? [] : [[k, env[k]!]])));
    const r = Bun.spawnSync([path, "--version"], {
      env: {
        ...passed,
        PATH: env.PATH ?? "",
        HOME: home,
        XDG_CONFIG_HOME: join(home, ".config"),
        XDG_CACHE_HOME: join(home, ".cache"),
        XDG_DATA_HOME: join(home, ".local", "share"),
        XDG_STATE_HOME: join(home, ".local", "state"),
        NO_COLOR: "1",
      },
      // stdin is /dev/null: some CLIs (codex) read a prompt from a stdin that is not a terminal.
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
      cwd: home,
      timeout: 15_000,
    });
    version = `${r.stdout.toString()}\n${r.stderr.toString()}`.match(SEMVER)?.[0] ?? null;
  } catch {
    version = null;
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
  const cmp = version && spec.checked.match(SEMVER) ? compareVersions(version, spec.checked) : null;
  return {
    ...base,
    version,
    against: cmp === null ? null : cmp === 0 ? "same" : cmp > 0 ? "newer" : "older",
  };
};

/** The four named coding CLIs (not `command`), as found on PATH, with their versions. */
export const agentVersions = (env: Record<string, string | undefined> = process.env): CliVersion[] =>
  [CLIS.copilot, CLIS.claude, CLIS.codex, CLIS.gemini].map((s) => cliVersion(s, env));
