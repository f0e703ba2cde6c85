import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { type CliSpec, jsonLines, jsonObject, type ParsedRun, UUID, unframed } from "../spec.ts";

/** The one (pretty-printed) object of `gemini -p ... -o json` (0.61.0, JsonFormatter), also its errors on stderr. */
const Output = z.looseObject({
  session_id: z.string().optional(),
  response: z.string().optional(),
  stats: z
    .looseObject({
      models: z
        .record(
          z.string(),
          z.looseObject({
            tokens: z
              .looseObject({ prompt: z.number().optional(), candidates: z.number().optional() })
              .optional(),
          }),
        )
        .optional(),
      tools: z
        .looseObject({
          totalDecisions: z.looseObject({ reject: z.number().default(0) }).optional(),
          byName: z
            .record(
              z.string(),
              z.looseObject({ decisions: z.looseObject({ reject: z.number().default(0) }).optional() }),
            )
            .optional(),
        })
        .optional(),
    })
    .optional(),
  error: z.looseObject({ type: z.string().optional(), message: z.string() }).optional(),
});

/** The JSON Lines events of `gemini -p ... -o stream-json` (0.61.0) that Hyperion reads. */
const Init = z.looseObject({ type: z.literal("init"), session_id: z.string() });
const Message = z.looseObject({
  type: z.literal("message"),
  role: z.string(),
  content: z.string().default(""),
  delta: z.boolean().optional(),
});
const ToolUse = z.looseObject({ type: z.literal("tool_use"), tool_name: z.string(), tool_id: z.string() });
const ToolResult = z.looseObject({
  type: z.literal("tool_result"),
  tool_id: z.string(),
  status: z.string(),
  error: z.looseObject({ type: z.string().optional(), message: z.string().optional() }).optional(),
});
const StreamResult = z.looseObject({
  type: z.literal("result"),
  status: z.string(),
  error: z.looseObject({ type: z.string().optional(), message: z.string() }).optional(),
  stats: z
    .looseObject({
      input_tokens: z.number().optional(),
      output_tokens: z.number().optional(),
      duration_ms: z.number().optional(),
    })
    .optional(),
});
const StreamError = z.looseObject({
  type: z.literal("error"),
  severity: z.string().optional(),
  message: z.string(),
});

/**
 * A tool the model called that gemini does not offer: in headless default mode the tools that
 * need approval (the shell, edits) are not registered, and the call fails with this type.
 */
const NOT_OFFERED = "tool_not_registered";

const parseStream = (lines: Record<string, unknown>[], init: z.infer<typeof Init>): ParsedRun => {
  const names = new Map<string, string>();
  const denied: string[] = [];
  let calls = 0;
  let failed = 0;
  const succeeded: string[] = [];
  let text = "";
  let usage: ParsedRun["usage"];
  let error: string | undefined;
  for (const line of lines) {
    const m = Message.safeParse(line);
    if (m.success && m.data.role === "assistant")
      text = m.data.delta ? text + m.data.content : m.data.content;
    const use = ToolUse.safeParse(line);
    if (use.success) {
      names.set(use.data.tool_id, use.data.tool_name);
      text = ""; // the answer is what the model says after its last tool call
    }
    const r = ToolResult.safeParse(line);
    if (r.success) {
      calls++;
      if (r.data.status !== "success") failed++;
      else succeeded.push(r.data.tool_id);
      if (r.data.error?.type === NOT_OFFERED) denied.push(names.get(r.data.tool_id) ?? r.data.tool_id);
    }
    const done = StreamResult.safeParse(line);
    if (done.success) {
      usage = {
        input_tokens: done.data.stats?.input_tokens,
        output_tokens: done.data.stats?.output_tokens,
        duration_ms: done.data.stats?.duration_ms,
      };
      if (done.data.status !== "success")
        error = `${done.data.error?.type ?? done.data.status}: ${done.data.error?.message ?? "no detail"}`;
    }
    const e = StreamError.safeParse(line);
    if (e.success && e.data.severity !== "warning") error = e.data.message;
  }
  return {
    text,
    sessionId: init.session_id,
    usage,
    denied,
    error,
    framed: true,
    tools: { calls, failed, succeeded },
  };
};

/** A tool call as its chat log records it (`~/.gemini/tmp/<project>/chats/session-*.jsonl`). */
const LoggedCall = z.looseObject({
  id: z.string(),
  result: z
    .array(z.looseObject({ functionResponse: z.looseObject({ response: z.unknown() }).optional() }))
    .default([]),
});
const LoggedTurn = z.looseObject({ toolCalls: z.array(LoggedCall) });
const EXIT = /Exit Code: (\d+)/;

/**
 * A shell command that exits non-zero is a `success` in stream-json (0.61.0); its exit code is only
 * in the chat log of the private home: the calls reported successful are looked up there.
 */
const inspect = (home: string, parsed: ParsedRun): ParsedRun => {
  const ids = new Set(parsed.tools?.succeeded ?? []);
  if (!parsed.tools || ids.size === 0) return parsed;
  const root = join(home, ".gemini", "tmp");
  let files: string[];
  try {
    files = readdirSync(root, { recursive: true, encoding: "utf8" }).filter((f) =>
      /chats\/session-.*\.jsonl?$/.test(f),
    );
  } catch {
    return parsed;
  }
  let failed = 0;
  for (const f of files)
    for (const line of jsonLines(readFileSync(join(root, f), "utf8"))) {
      const turn = LoggedTurn.safeParse(line);
      if (!turn.success) continue;
      for (const call of turn.data.toolCalls) {
        if (!ids.has(call.id)) continue;
        ids.delete(call.id); // a call is logged again as the turn is updated: count it once
        const code = JSON.stringify(call.result.map((r) => r.functionResponse?.response)).match(EXIT)?.[1];
        if (code !== undefined && code !== "0") failed++;
      }
    }
  return { ...parsed, tools: { ...parsed.tools, failed: parsed.tools.failed + failed } };
};

const parse = (stdout: string): ParsedRun => {
  const lines = jsonLines(stdout);
  const init = lines.map((l) => Init.safeParse(l)).find((r) => r.success)?.data;
  if (init) return parseStream(lines, init);
  // `-o json`: one pretty-printed object; warnings may precede it, from the first line that opens one.
  const start = stdout.search(/^\{/m);
  const obj = start === -1 ? null : jsonObject(stdout.slice(start));
  const r = obj ? Output.safeParse(obj) : null;
  if (!r?.success || (r.data.response === undefined && r.data.error === undefined)) return unframed(stdout);
  const o = r.data;
  const models = Object.values(o.stats?.models ?? {});
  const sum = (k: "prompt" | "candidates") => models.reduce((n, m) => n + (m.tokens?.[k] ?? 0), 0);
  const rejected = Object.entries(o.stats?.tools?.byName ?? {})
    .filter(([, t]) => (t.decisions?.reject ?? 0) > 0)
    .map(([name]) => name);
  const denied =
    rejected.length > 0 ? rejected : (o.stats?.tools?.totalDecisions?.reject ?? 0) > 0 ? ["a tool"] : [];
  return {
    text: o.response ?? "",
    sessionId: o.session_id,
    usage: models.length ? { input_tokens: sum("prompt"), output_tokens: sum("candidates") } : undefined,
    denied,
    error: o.error ? `${o.error.type ?? "error"}: ${o.error.message}` : undefined,
    framed: true,
  };
};

export const gemini: CliSpec = {
  name: "gemini",
  bin: "gemini",
  install: "npm install -g @google/gemini-cli",
  checked: "0.61.0",
  env: ["GEMINI_*", "GOOGLE_*"],
  // Trusting a folder loads its settings, hooks and MCP servers; yolo grants every tool.
  grants: ["GEMINI_CLI_TRUST_WORKSPACE", "GEMINI_CLI_TRUSTED_FOLDERS_PATH", "GEMINI_YOLO", "GEMINI_SANDBOX"],
  sessionId: UUID,
  network: true,
  homeVars: {},
  settings: {
    file: ".gemini/settings.json",
    // Its shell tool then loses every variable named like a credential (GEMINI_API_KEY...).
    base: { security: { environmentVariableRedaction: { enabled: true } } },
  },
  namesSessions: "hyperion",
  argv: (a) => [
    "-p",
    a.prompt,
    // stream-json shows each tool's outcome (a tool not offered, a failed command).
    "-o",
    "stream-json",
    // The scratch directory is Hyperion's own, so trusting it is safe; untrusted exits 55.
    "--skip-trust",
    ...(a.model ? ["-m", a.model] : []),
    ...(a.session ? [a.session.resume ? `--resume=${a.session.id}` : `--session-id=${a.session.id}`] : []),
    "--approval-mode",
    a.allowAllTools ? "yolo" : a.writes ? "auto_edit" : "default",
    // An array option: `=` keeps it from swallowing the arguments after it. Gemini has no deny list.
    ...a.allowTools.map((t) => `--allowed-tools=${t}`),
    ...a.args,
  ],
  parse,
  inspect,
  exitCodes: {
    41: "authentication failed",
    42: "invalid input (prompt or arguments)",
    44: "sandbox error",
    52: "configuration error",
    53: "turn limit exceeded",
    54: "tool execution failed",
    55: "untrusted folder",
    130: "cancelled",
  },
};
