import { z } from "zod";
import { type CliSpec, jsonLines, type ParsedRun, UUID, unframed } from "../spec.ts";

/** The JSON Lines records Hyperion reads from `copilot -p ... --output-format json` (1.0.102). */
const Message = z.looseObject({
  type: z.literal("assistant.message"),
  data: z.looseObject({ content: z.string().default("") }),
});
const ToolStart = z.looseObject({
  type: z.literal("tool.execution_start"),
  data: z.looseObject({ toolCallId: z.string(), toolName: z.string() }),
});
const ToolDone = z.looseObject({
  type: z.literal("tool.execution_complete"),
  data: z.looseObject({
    toolCallId: z.string(),
    success: z.boolean().optional(),
    // A shell command that exits non-zero is `success: true` (1.0.102); its exit code is here.
    shellExecution: z.looseObject({ exitCode: z.number().nullable().optional() }).optional(),
    error: z.looseObject({ code: z.string().optional(), message: z.string().optional() }).optional(),
  }),
});
const Result = z.looseObject({
  type: z.literal("result"),
  sessionId: z.string(),
  exitCode: z.number().optional(),
  usage: z
    .looseObject({
      sessionDurationMs: z.number().optional(),
      codeChanges: z.looseObject({ filesModified: z.array(z.string()).default([]) }).optional(),
    })
    .optional(),
});

const parse = (stdout: string): ParsedRun => {
  const lines = jsonLines(stdout);
  const result = lines.map((l) => Result.safeParse(l)).findLast((r) => r.success)?.data;
  if (!result) return unframed(stdout);
  const tools = new Map<string, string>();
  const denied: string[] = [];
  let text = "";
  let calls = 0;
  let failed = 0;
  for (const line of lines) {
    const m = Message.safeParse(line);
    if (m.success && m.data.data.content.trim() !== "") text = m.data.data.content;
    const s = ToolStart.safeParse(line);
    if (s.success) tools.set(s.data.data.toolCallId, s.data.data.toolName);
    const d = ToolDone.safeParse(line);
    if (!d.success) continue;
    calls++;
    const exit = d.data.data.shellExecution?.exitCode;
    if (d.data.data.success === false || (exit !== undefined && exit !== 0)) failed++;
    if (d.data.data.error?.code === "denied")
      denied.push(tools.get(d.data.data.toolCallId) ?? d.data.data.toolCallId);
  }
  return {
    text,
    sessionId: result.sessionId,
    usage:
      result.usage?.sessionDurationMs === undefined
        ? undefined
        : { duration_ms: result.usage.sessionDurationMs },
    denied,
    framed: true,
    tools: { calls, failed },
  };
};

export const copilot: CliSpec = {
  name: "copilot",
  bin: "copilot",
  install: "npm install -g @github/copilot",
  checked: "1.0.102",
  // GH_HOST: a GitHub Enterprise host the operator's login is for.
  env: ["COPILOT_*", "GH_TOKEN", "GITHUB_TOKEN", "GH_HOST"],
  // COPILOT_ALLOW_ALL grants every tool (and "true" trusts the directory's hooks); the approval
  // judge and extra instruction directories are the operator's to choose, in config.
  grants: ["COPILOT_ALLOW_ALL", "COPILOT_ASSISTED_APPROVAL", "COPILOT_CUSTOM_INSTRUCTIONS_DIRS"],
  sessionId: UUID,
  network: true,
  homeVars: { COPILOT_HOME: ".copilot" },
  // 1.0.102 resumes from this directory alone (checked: copied into a fresh home, --resume works).
  sessionState: (id) => `.copilot/session-state/${id}`,
  namesSessions: "hyperion",
  argv: (a) => [
    "-p",
    a.prompt,
    "--output-format",
    "json",
    "-C",
    a.workdir,
    ...(a.model ? ["--model", a.model] : []),
    ...(a.session ? [a.session.resume ? `--resume=${a.session.id}` : `--session-id=${a.session.id}`] : []),
    ...(a.allowAllTools
      ? ["--allow-all-tools"]
      : [
          // Editing its scratch copy is the point of workspace mode; anything else is asked for.
          ...(a.writes && a.allowTools.length === 0 ? ["--allow-tool=write"] : []),
          ...a.allowTools.map((t) => `--allow-tool=${t}`),
        ]),
    ...a.denyTools.map((t) => `--deny-tool=${t}`),
    "--no-auto-update",
    // The repository's AGENTS.md and the like are untrusted content, never instructions.
    "--no-custom-instructions",
    // Stripped from its shell's and MCP servers' environments, and masked in its output.
    ...(a.secrets.length ? [`--secret-env-vars=${a.secrets.join(",")}`] : []),
    ...a.args,
  ],
  parse,
  exitCodes: {},
};
