import type { AgentName, CodexProvider } from "../../schema/index.ts";
import type { Usage } from "../harness.ts";

export type CliName = Exclude<AgentName, "stub">;

/** What one run's argv is built from. */
export type ArgvInput = {
  prompt: string;
  /** The private scratch directory the agent works in (never the live tree). */
  workdir: string;
  /** The private home of the session (HOME). */
  home: string;
  model?: string;
  /** The session to create (`resume: false`, an id Hyperion chose) or resume; null: the CLI names it. */
  session: { id: string; resume: boolean } | null;
  /** The agent may edit files in `workdir` (workspace mode). */
  writes: boolean;
  allowAllTools: boolean;
  allowTools: readonly string[];
  denyTools: readonly string[];
  /** Extra arguments from config, before the prompt. */
  args: readonly string[];
  /** Forwarded variables holding a credential: the CLI keeps them from its tools where it can. */
  secrets: readonly string[];
  /** codex only: the operator's model provider (agents.codex.provider). */
  provider?: CodexProvider;
  /** `command` only: the argv template. */
  template?: readonly string[];
};

/** What Hyperion reads from one run's output. */
export type ParsedRun = {
  /** The agent's final answer (the raw output when the framing is not recognised). */
  text: string;
  /** The CLI's session id, for the next turn's resume. */
  sessionId?: string;
  usage?: Usage;
  /** Tools the CLI refused to run: a failed turn even when the CLI exits 0. */
  denied: string[];
  /** An error the CLI reported in its output (is_error, turn.failed, error object). */
  error?: string;
  /** False when the output is not in the CLI's framing; the raw text then goes to the fallback. */
  framed: boolean;
  /**
   * The tool calls the model made and how many of them failed, where the CLI records it;
   * `succeeded`: the ids of the calls reported successful, for `inspect` to look closer.
   */
  tools?: { calls: number; failed: number; succeeded?: string[] };
};

/** One coding CLI: how to call it and how to read it. Flags change between releases: `checked`. */
export type CliSpec = {
  name: CliName;
  /** The executable's name on PATH. */
  bin: string;
  /** How to install it, for the missing-executable error. */
  install: string;
  /** The version these flags and this framing were checked against. */
  checked: string;
  /** Environment variables forwarded by default (names, or prefixes ending in `*`). */
  env: readonly string[];
  /**
   * Variables that grant permissions or load instructions (COPILOT_ALLOW_ALL...): never
   * forwarded, whatever a pattern or the config names. Permissions come from config alone.
   */
  grants: readonly string[];
  /** Set for every run: switches that keep the credential from the CLI's tools. */
  fixedEnv?: Readonly<Record<string, string>>;
  /** Set only when the run is inside Hyperion's sandbox (telling the CLI so is then true). */
  sandboxedEnv?: Readonly<Record<string, string>>;
  /** The form of the CLI's session (thread) ids; anything else is refused before it reaches argv. */
  sessionId: RegExp;
  /** Whether the sandbox shares the host's network by default (a model endpoint is needed). */
  network: boolean;
  /** Variables pointing at the CLI's state directory, set under the private home (must exist). */
  homeVars: Readonly<Record<string, string>>;
  /** Where the CLI keeps one session's state, relative to its home (so `session init` can bring it). */
  sessionState?: (id: string) => string;
  /** Who names a new session: Hyperion (`--session-id <uuid>`), or the CLI (read from its output). */
  namesSessions: "hyperion" | "cli";
  argv: (a: ArgvInput) => string[];
  parse: (stdout: string) => ParsedRun;
  /**
   * Completes a parsed run from what the CLI recorded in its private home (codex prints no item
   * for its shell's commands: their outcome is in its session log).
   */
  inspect?: (home: string, parsed: ParsedRun) => ParsedRun;
  /**
   * TMPDIR under the private home (relative path): codex will not put its sandbox helper in a
   * home that lies under TMPDIR, and every command then fails.
   */
  homeTmp?: string;
  /**
   * The CLI's settings file (relative to the private home), written before every turn from
   * Hyperion's own settings (`base`) and `agents.<cli>.settings` over them: whatever the agent
   * wrote there in an earlier turn (yolo, hooks) does not carry over.
   */
  settings?: { file: string; base: Readonly<Record<string, unknown>> };
  /** The CLI starts its own bubblewrap inside Hyperion's (AgentJob.nests). */
  nests?: boolean;
  /** Exit codes with a documented meaning; any other non-zero code is a plain failure. */
  exitCodes: Readonly<Record<number, string>>;
};

/** The session ids copilot, claude, codex (thread ids) and gemini use. */
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A forwarded variable whose name says it holds a credential. */
export const isCredential = (name: string): boolean =>
  /KEY|TOKEN|SECRET|PASSWORD|CREDENTIAL|HEADERS|AUTH/i.test(name);

/** Parses JSON Lines, skipping lines that are not JSON objects. */
export const jsonLines = (text: string): Record<string, unknown>[] =>
  text.split("\n").flatMap((line) => {
    const t = line.trim();
    if (!t.startsWith("{")) return [];
    try {
      const v = JSON.parse(t);
      return v && typeof v === "object" && !Array.isArray(v) ? [v as Record<string, unknown>] : [];
    } catch {
      return [];
    }
  });

/** The whole text as one JSON object, or null. */
export const jsonObject = (text: string): Record<string, unknown> | null => {
  try {
    const v = JSON.parse(text.trim());
    return v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
};

/** The output when it is not in the CLI's framing: the raw text, for the fallback and the logs. */
export const unframed = (stdout: string): ParsedRun => ({ text: stdout, denied: [], framed: false });
