import { z } from "zod";
import { type Code, HyperionError } from "../../errors.ts";
import type { ChildRun } from "./spawn.ts";
import { type CliSpec, jsonObject, type ParsedRun } from "./spec.ts";

const ErrorObject = z.looseObject({
  error: z.looseObject({ type: z.string().optional(), message: z.string() }),
});

/**
 * An error object a CLI wrote to stderr, as one line (gemini 0.61.0 `-o json` prints
 * `{"session_id","error":{"type","message","code"}}` there, pretty-printed); undefined when none.
 */
export const stderrError = (stderr: string): string | undefined => {
  const start = stderr.search(/^\{/m);
  const end = stderr.lastIndexOf("\n}");
  if (start === -1 || end < start) return undefined;
  const r = ErrorObject.safeParse(jsonObject(stderr.slice(start, end + 2)));
  return r.success
    ? `${r.data.error.type ? `${r.data.error.type}: ` : ""}${r.data.error.message}`
    : undefined;
};

/** Text the CLIs print when nobody is logged in or a key is wrong. */
const AUTH =
  /not (?:logged|signed) in|please (?:log|sign) ?in|login required|run .{0,20}login|unauthori[sz]ed|authenticat(?:e|ion) (?:failed|required|error)|invalid (?:api[ _-]?key|x-api-key|token)|\b401\b/i;

/** Text the CLIs print when the session to resume is not in their home. */
const NO_SESSION =
  /No session, task, or name matched|No conversation found|Invalid session identifier|no (?:saved )?session found|session not found/i;

const lastLine = (text: string): string =>
  text
    .trim()
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean)
    .at(-1)
    ?.slice(0, 300) ?? "";

const fail = (code: Code, message: string, hint: string, details?: Record<string, unknown>) =>
  new HyperionError(code, message, { exitCode: 1, hint, details });

/** The executable is not on PATH: say which, and how to install it. */
export const missingCli = (spec: CliSpec, bin: string): HyperionError =>
  fail(
    "E_AGENT_MISSING",
    `the ${spec.name} harness needs \`${bin}\`, which is not on PATH`,
    `${spec.install}${spec.name === "command" ? "" : `, or set agents.${spec.name}.command to its path`}`,
    { bin },
  );

/**
 * What went wrong in a finished run, or null when it succeeded: auth, a session the home does not
 * hold, a denied tool (a failure even with exit 0: the agent did not do what it was asked), a
 * failed exit (a documented code, or plain), or an error the CLI reported in its output.
 */
export const runFailure = (spec: CliSpec, run: ChildRun, parsed: ParsedRun, session?: string) => {
  const stderr = stderrError(run.stderr) ?? run.stderr;
  const output = `${stderr}\n${parsed.error ?? ""}\n${parsed.framed ? "" : run.stdout}`;
  const details = { exit_code: run.exitCode, stderr: run.stderr.slice(-4_000) };
  const failed = run.exitCode !== 0 || parsed.error !== undefined;
  if (failed && (spec.exitCodes[run.exitCode ?? -1] === "authentication failed" || AUTH.test(output))) {
    return fail(
      "E_AGENT_AUTH",
      `${spec.name} is not authenticated: ${lastLine(output) || `exit ${run.exitCode}`}`,
      spec.env.length
        ? `log in, or export its credentials (${spec.env.join(", ")}); only forwarded variables reach the agent (agents.${spec.name}.env)`
        : "check the CLI's credentials",
      details,
    );
  }
  if (failed && NO_SESSION.test(output)) {
    return fail(
      "E_AGENT_SESSION",
      `${spec.name} does not hold session ${session ?? "(none)"} in its private home: ${lastLine(output)}`,
      "bring the session's state into its private home (`hyperion session init` shows where), or `hyperion session rm` it and start afresh",
      details,
    );
  }
  // A refusal explains a failed exit too (codex may exit 1 after its sandbox refused a write).
  if (parsed.denied.length > 0) {
    return fail(
      "E_AGENT_DENIED",
      `${spec.name} was refused a tool (${[...new Set(parsed.denied)].join(", ")}), so its turn is incomplete`,
      `allow the tool in agents.${spec.name}.allow_tools (or allow_all_tools), or keep the agent from needing it`,
      details,
    );
  }
  if (run.exitCode !== 0) {
    const meaning = spec.exitCodes[run.exitCode ?? -1];
    const why = run.exitCode === null ? `killed by ${run.signal ?? "a signal"}` : `exit ${run.exitCode}`;
    return fail(
      "E_AGENT_EXIT",
      `${spec.name} failed (${why}${meaning ? `: ${meaning}` : ""}): ${lastLine(parsed.error ?? stderr) || lastLine(run.stdout) || "no output"}`,
      "rerun with HYPERION_LOG=1 to see its output",
      details,
    );
  }
  if (parsed.error !== undefined) {
    return fail(
      "E_AGENT_FAILED",
      `${spec.name} reported an error: ${lastLine(parsed.error)}`,
      "rerun with HYPERION_LOG=1 to see its output",
      details,
    );
  }
  return null;
};

/** A workspace turn that changed nothing and whose every tool call failed: not "no changes needed". */
export const noProgress = (spec: CliSpec, calls: number, details: Record<string, unknown>): HyperionError =>
  fail(
    "E_AGENT_NO_PROGRESS",
    `${spec.name} changed nothing: all ${calls} of its tool calls failed`,
    "rerun with HYPERION_LOG=1 to see its output; check that its tools can run in the sandbox",
    details,
  );
