import { z } from "zod";
import { HyperionError } from "../errors.ts";
import { log } from "../log.ts";
import { safeText } from "../safe-text.ts";
import { type Fallback, issuePath } from "../schema/index.ts";
import { extractJson } from "./extract-json.ts";
import type { AgentHarness, RoleInput, TurnRequest, TurnResult, Usage } from "./harness.ts";
import { buildPrompt } from "./prompt.ts";

export type TurnOptions<T> = {
  /** The harness asked to run the turn. */
  harness: AgentHarness;
  /** Stands in when the harness's output fails its contract. */
  stub: AgentHarness;
  /** false: a contract failure is an error (`--no-fallback`). */
  fallback: boolean;
  timeoutMs: number;
  repo: string;
  /** The role's output contract; the only way agent output gets in. */
  contract: z.ZodType<T>;
  /** Names the task in messages and fallbacks (developer turns). */
  taskId?: string;
};

export type TurnOutcome<T> = {
  output: T;
  /** Who produced `output`: the harness, or the stub after a fallback. */
  agent: string;
  fallback?: Fallback;
  usage?: Usage;
};

const what = (turn: RoleInput, taskId?: string) =>
  taskId ? `${turn.role} turn for ${taskId}` : `${turn.role} turn`;

/** Runs a harness with a deadline: a timeout aborts the turn and is an error, never a wait. */
const runWithDeadline = async (
  harness: AgentHarness,
  req: Omit<TurnRequest, "signal">,
  ms: number,
  label: string,
) => {
  const ac = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = () =>
    new HyperionError("E_AGENT_TIMEOUT", `${label} of ${harness.name} took longer than ${ms} ms`, {
      exitCode: 1,
      hint: "raise agents.timeout_ms in .hyperion/config.json, or check the agent",
    });
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(timedOut());
      ac.abort(); // a harness that rejects on abort must not turn the timeout into another error
    }, ms);
  });
  try {
    return await Promise.race([harness.turn({ ...req, signal: ac.signal } as TurnRequest), deadline]);
  } catch (e) {
    if (ac.signal.aborted) throw timedOut();
    if (e instanceof HyperionError) throw e;
    throw new HyperionError(
      "E_AGENT_FAILED",
      `${label} of ${harness.name} failed: ${(e as Error)?.message ?? String(e)}`,
      {
        exitCode: 1,
        hint: "rerun with HYPERION_LOG=1 for details",
        cause: e,
      },
    );
  } finally {
    clearTimeout(timer);
  }
};

/** What is kept of refused output: all of it up to 4 KiB, else its head and tail. */
export const KEPT_OUTPUT_CHARS = 4096;
const keptOutput = (text: string): string =>
  text.length <= KEPT_OUTPUT_CHARS
    ? text
    : `${text.slice(0, KEPT_OUTPUT_CHARS / 2)}\n[... ${text.length - KEPT_OUTPUT_CHARS} characters cut ...]\n${text.slice(-KEPT_OUTPUT_CHARS / 2)}`;

/** Parses a harness's answer against the contract; the reason says what is wrong when it fails. */
const parseOutput = <T>(
  result: TurnResult,
  contract: z.ZodType<T>,
): { ok: true; value: T } | { ok: false; reason: string } => {
  let json = result.json;
  if (json === undefined) {
    const found = extractJson(String(result.text ?? ""));
    if (!found.ok) return { ok: false, reason: found.reason };
    json = found.value;
  }
  const r = contract.safeParse(json);
  if (r.success) return { ok: true, value: r.data };
  const issue = r.error.issues[0]!;
  return { ok: false, reason: `${issuePath(issue.path)}: ${issue.message}` };
};

/**
 * One role turn: builds the prompt (role, JSON Schema of the contract, input), runs the harness
 * under a deadline and parses its output. Output failing the contract falls back to the stub,
 * logged with the reason and returned as `fallback`, so nobody mistakes the stub's work for an
 * agent's; with fallback off it is an error instead.
 */
export const runTurn = async <T>(turn: RoleInput, opts: TurnOptions<T>): Promise<TurnOutcome<T>> => {
  const outputSchema = z.toJSONSchema(opts.contract, { io: "input", unrepresentable: "any" }) as Record<
    string,
    unknown
  >;
  const req = { ...turn, prompt: buildPrompt(turn, outputSchema), outputSchema, repo: opts.repo };
  const label = what(turn, opts.taskId);
  const result = await runWithDeadline(opts.harness, req, opts.timeoutMs, label);
  log.debug(`${label}: ${opts.harness.name} usage ${JSON.stringify(result.usage ?? {})}`);
  const parsed = parseOutput(result, opts.contract);
  if (parsed.ok) return { output: parsed.value, agent: opts.harness.name, usage: result.usage };

  const raw = keptOutput(String(result.text ?? JSON.stringify(result.json) ?? ""));
  log.debug(`${label}: raw output of ${opts.harness.name}:\n${safeText(raw, { multiline: true })}`);
  const isStub = opts.harness === opts.stub;
  if (!opts.fallback || isStub) {
    throw new HyperionError(
      "E_AGENT_OUTPUT",
      `${label}: the output of ${opts.harness.name} does not match its contract: ${parsed.reason}`,
      {
        exitCode: 1,
        hint: isStub
          ? "this is a bug in the stub; please report it"
          : "drop --no-fallback to let the stub stand in, or fix the agent",
        details: { raw_output: raw },
      },
    );
  }
  log.warn(
    `${label}: the output of ${opts.harness.name} does not match its contract (${safeText(parsed.reason)}); the stub stands in`,
  );
  const again = await runWithDeadline(opts.stub, req, opts.timeoutMs, label);
  const stubbed = parseOutput(again, opts.contract);
  if (!stubbed.ok) {
    throw new HyperionError(
      "E_AGENT_OUTPUT",
      `${label}: the stub's output does not match its contract: ${stubbed.reason}`,
      {
        exitCode: 1,
        hint: "this is a bug in the stub; please report it",
      },
    );
  }
  return {
    output: stubbed.value,
    agent: opts.stub.name,
    usage: again.usage,
    fallback: {
      role: turn.role,
      ...(opts.taskId ? { task_id: opts.taskId } : {}),
      agent: opts.harness.name,
      reason: parsed.reason,
      raw_output: raw,
    },
  };
};
