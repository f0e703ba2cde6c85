import { mkdirSync } from "node:fs";
import { join } from "node:path";

/** The operator's proxy settings, in both spellings programs read. */
export const PROXY_VARS = ["HTTPS_PROXY", "HTTP_PROXY", "NO_PROXY", "https_proxy", "http_proxy", "no_proxy"];

/**
 * Always passed: what any program needs to start, print text and reach its model through the
 * operator's proxy. Never the operator's HOME.
 */
const BASE = ["PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR", "TERM", ...PROXY_VARS];

/**
 * Never forwarded, whatever a pattern says: each moves a CLI's state (sessions, settings,
 * credentials) out of the private home, where the next turn and the sandbox expect it.
 */
export const HOME_MOVERS = [
  "COPILOT_HOME",
  "CLAUDE_CONFIG_DIR",
  "CODEX_HOME",
  "GEMINI_CLI_HOME",
  "XDG_CONFIG_HOME",
  "XDG_DATA_HOME",
  "XDG_STATE_HOME",
  "XDG_CACHE_HOME",
];

const matches = (name: string, pattern: string): boolean =>
  pattern.endsWith("*") ? name.startsWith(pattern.slice(0, -1)) : name === pattern;

export type ChildEnvInput = {
  /** The operator's environment. */
  from: Record<string, string | undefined>;
  /** Names or `PREFIX_*` patterns to forward (the CLI's defaults, or config). */
  forward: readonly string[];
  /** Never forwarded, whatever `forward` says: variables that grant permissions (COPILOT_ALLOW_ALL). */
  grants?: readonly string[];
  /** Set last: the CLI's own switches (CLAUDE_CODE_SUBPROCESS_ENV_SCRUB) and a sandbox's TMPDIR. */
  fixed?: Readonly<Record<string, string>>;
  /** The session's private home. */
  home: string;
  /** The CLI's own state variables (COPILOT_HOME...) and their directory under `home`. */
  homeVars: Readonly<Record<string, string>>;
  /** Shared across sessions: what a CLI unpacks or downloads once (copilot unpacks ~235 MB there). */
  cache: string;
  /** The directory above the turn's scratch directory: git (and CLIs that ask git) stop there. */
  ceiling: string;
};

/**
 * The environment a CLI runs with: PATH and locale, the variables the operator chose to forward,
 * and a private HOME; nothing else of the operator's environment. State variables a forwarded
 * pattern could carry (COPILOT_HOME from COPILOT_*) are overridden, so state stays private.
 */
export const childEnv = (i: ChildEnvInput): Record<string, string> => {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(i.from)) {
    if (v === undefined || i.grants?.includes(k) || HOME_MOVERS.includes(k)) continue;
    if (BASE.includes(k) || i.forward.some((p) => matches(k, p))) env[k] = v;
  }
  env.HOME = i.home;
  env.XDG_CONFIG_HOME = join(i.home, ".config");
  env.XDG_DATA_HOME = join(i.home, ".local", "share");
  env.XDG_STATE_HOME = join(i.home, ".local", "state");
  env.XDG_CACHE_HOME = i.cache;
  mkdirSync(i.cache, { recursive: true, mode: 0o700 });
  for (const [name, dir] of Object.entries(i.homeVars)) {
    env[name] = join(i.home, dir);
    mkdirSync(env[name]!, { recursive: true, mode: 0o700 }); // CODEX_HOME must exist
  }
  // git (and CLIs that ask git) stop at the turn's directory: nothing above it is the agent's.
  env.GIT_CEILING_DIRECTORIES = i.ceiling;
  // Headless: no colour codes in the output Hyperion parses.
  env.NO_COLOR = "1";
  Object.assign(env, i.fixed ?? {});
  return env;
};
