import { z } from "zod";
import { type CliSpec, jsonLines, jsonObject, type ParsedRun, UUID, unframed } from "../spec.ts";

/**
 * The result record of `claude -p --output-format json` (one object), which is also the last line
 * of `--output-format stream-json --verbose` (2.1.332).
 */
const Result = z.looseObject({
  type: z.literal("result"),
  subtype: z.string().optional(),
  is_error: z.boolean().default(false),
  result: z.string().optional(),
  session_id: z.string().optional(),
  duration_ms: z.number().optional(),
  usage: z
    .looseObject({ input_tokens: z.number().optional(), output_tokens: z.number().optional() })
    .optional(),
  permission_denials: z.array(z.looseObject({ tool_name: z.string().optional() })).default([]),
});

/** A tool's outcome in `stream-json` (2.1.332): a user message holding tool_result blocks. */
const ToolResults = z.looseObject({
  type: z.literal("user"),
  message: z.looseObject({
    content: z.array(
      z.looseObject({ type: z.string(), is_error: z.boolean().optional(), content: z.unknown().optional() }),
    ),
  }),
});

/** What claude answers for a tool it does not offer (`--disallowedTools` removes it): a refusal. */
const NO_TOOL = /No such tool available: ?(\w+)?/;

const parse = (stdout: string): ParsedRun => {
  const whole = jsonObject(stdout);
  const candidates = whole ? [whole] : jsonLines(stdout);
  const r = candidates.map((c) => Result.safeParse(c)).findLast((p) => p.success)?.data;
  if (!r) return unframed(stdout);
  const results = candidates.flatMap((c) => {
    const u = ToolResults.safeParse(c);
    return u.success ? u.data.message.content.filter((b) => b.type === "tool_result") : [];
  });
  const failed = results.filter((b) => b.is_error === true);
  const removed = failed.flatMap((b) => {
    const m = JSON.stringify(b.content ?? "").match(NO_TOOL);
    return m ? [m[1] ?? "a removed tool"] : [];
  });
  return {
    text: r.result ?? "",
    sessionId: r.session_id,
    usage: {
      input_tokens: r.usage?.input_tokens,
      output_tokens: r.usage?.output_tokens,
      duration_ms: r.duration_ms,
    },
    denied: [...r.permission_denials.map((d) => d.tool_name ?? "a tool"), ...removed],
    tools: whole ? undefined : { calls: results.length, failed: failed.length },
    error: r.is_error ? `${r.subtype ?? "error"}: ${r.result ?? "no detail"}` : undefined,
    framed: true,
  };
};

export const claude: CliSpec = {
  name: "claude",
  bin: "claude",
  install: "npm install -g @anthropic-ai/claude-code",
  checked: "2.1.332",
  env: ["ANTHROPIC_*", "CLAUDE_*"],
  grants: ["CLAUDE_CODE_DANGEROUSLY_SKIP_PERMISSIONS", "IS_SANDBOX"],
  // Strips ANTHROPIC_API_KEY and the other auth variables from Bash, hooks and MCP servers.
  fixedEnv: { CLAUDE_CODE_SUBPROCESS_ENV_SCRUB: "1" },
  // claude refuses bypassPermissions as root unless told it is sandboxed: in bubblewrap it is.
  // The scrub (2.1.332) forces claude's own bubblewrap around Bash, with a fresh /proc that a
  // sandbox nested in Hyperion's may not mount (EPERM; its weaker nested mode is refused under the
  // scrub): every command would fail. In Hyperion's sandbox the scrub is off, so Bash sees the key.
  sandboxedEnv: { IS_SANDBOX: "1", CLAUDE_CODE_SUBPROCESS_ENV_SCRUB: "0" },
  sessionId: UUID,
  network: true,
  settings: { file: ".claude/settings.json", base: {} },
  homeVars: { CLAUDE_CONFIG_DIR: ".claude" },
  namesSessions: "hyperion",
  argv: (a) => [
    "-p",
    a.prompt,
    // stream-json shows each tool's outcome (a removed tool, a failed command); it needs --verbose.
    "--output-format",
    "stream-json",
    "--verbose",
    ...(a.model ? ["--model", a.model] : []),
    ...(a.session ? [a.session.resume ? `--resume=${a.session.id}` : `--session-id=${a.session.id}`] : []),
    "--permission-mode",
    a.allowAllTools ? "bypassPermissions" : a.writes ? "acceptEdits" : "default",
    ...(a.allowTools.length ? ["--allowedTools", a.allowTools.join(",")] : []),
    ...(a.denyTools.length ? ["--disallowedTools", a.denyTools.join(",")] : []),
    ...a.args,
  ],
  parse,
  exitCodes: {},
};
