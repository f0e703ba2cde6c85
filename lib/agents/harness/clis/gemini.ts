import { z } from "zod";
import { type CliSpec, jsonObject, type ParsedRun, UUID, unframed } from "../spec.ts";

/** The one (pretty-printed) object of `gemini -p ... -o json` (0.61.0, JsonFormatter). */
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

const parse = (stdout: string): ParsedRun => {
  // Warnings may precede the object; it is the span from the first line that opens one.
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
  namesSessions: "hyperion",
  argv: (a) => [
    "-p",
    a.prompt,
    "-o",
    "json",
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
