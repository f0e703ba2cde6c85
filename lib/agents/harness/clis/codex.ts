import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import type { CodexProvider } from "../../../schema/index.ts";
import { type CliSpec, jsonLines, type ParsedRun, UUID, unframed } from "../spec.ts";

/** The JSON Lines events of `codex exec --json` (0.171.0) that Hyperion reads. */
const Started = z.looseObject({ type: z.literal("thread.started"), thread_id: z.string() });
const Item = z.looseObject({
  type: z.literal("item.completed"),
  item: z.looseObject({ type: z.string(), text: z.string().optional(), status: z.string().optional() }),
});
const Completed = z.looseObject({
  type: z.literal("turn.completed"),
  usage: z
    .looseObject({ input_tokens: z.number().optional(), output_tokens: z.number().optional() })
    .optional(),
});
const Failed = z.looseObject({
  type: z.literal("turn.failed"),
  error: z.looseObject({ message: z.string() }),
});
const Error_ = z.looseObject({ type: z.literal("error"), message: z.string() });

const parse = (stdout: string): ParsedRun => {
  const lines = jsonLines(stdout);
  const started = lines.map((l) => Started.safeParse(l)).find((r) => r.success)?.data;
  if (!started) return unframed(stdout);
  let text = "";
  let usage: ParsedRun["usage"];
  let error: string | undefined;
  const denied: string[] = [];
  for (const line of lines) {
    const item = Item.safeParse(line);
    if (item.success) {
      const it = item.data.item;
      if (it.type === "agent_message" && it.text !== undefined) text = it.text;
      // A command or edit the sandbox refused: the turn did not do what it set out to.
      if (it.status === "declined") denied.push(it.type);
    }
    const done = Completed.safeParse(line);
    if (done.success)
      usage = { input_tokens: done.data.usage?.input_tokens, output_tokens: done.data.usage?.output_tokens };
    const failed = Failed.safeParse(line);
    if (failed.success) error = failed.data.error.message;
    const err = Error_.safeParse(line);
    if (err.success) error = err.data.message;
  }
  return { text, sessionId: started.thread_id, usage, denied, error, framed: true };
};

/** One line of codex's session log (`$CODEX_HOME/sessions/YYYY/MM/DD/rollout-*-<thread>.jsonl`). */
const LogLine = z.looseObject({
  type: z.string(),
  payload: z.looseObject({ type: z.string().optional(), output: z.unknown().optional() }).optional(),
});

/** What a command's output says when the sandbox refused it (its own, or Hyperion's read-only mounts). */
const REFUSED = /Read-only file system|Operation not permitted/;
const EXIT = /Process exited with code (\d+)/;

/** The session log of one thread, or null. */
const rollout = (home: string, thread: string): string | null => {
  const root = join(home, ".codex", "sessions");
  let names: string[];
  try {
    names = readdirSync(root, { recursive: true, encoding: "utf8" });
  } catch {
    return null;
  }
  const name = names.find((n) => n.endsWith(`${thread}.jsonl`));
  return name ? readFileSync(join(root, name), "utf8") : null;
};

/**
 * `codex exec --json` (0.171.0) prints no item for a command its shell ran (exec_command), and a
 * sandbox refusal ("Read-only file system") ends the turn with exit 0 and no declined item: the
 * outcome of the last turn's commands is read from its session log instead.
 */
const inspect = (home: string, parsed: ParsedRun): ParsedRun => {
  const log = parsed.sessionId ? rollout(home, parsed.sessionId) : null;
  if (!log) return parsed;
  const lines = jsonLines(log).flatMap((l) => {
    const r = LogLine.safeParse(l);
    return r.success ? [r.data] : [];
  });
  const start = lines.findLastIndex((l) => l.type === "event_msg" && l.payload?.type === "task_started");
  const outputs = lines
    .slice(start + 1)
    .filter((l) => l.type === "response_item" && l.payload?.type === "function_call_output")
    .map((l) =>
      typeof l.payload?.output === "string" ? l.payload.output : JSON.stringify(l.payload?.output),
    );
  const failed = outputs.filter((o) => Number(o.match(EXIT)?.[1] ?? 0) !== 0);
  const refused = failed.filter((o) => REFUSED.test(o));
  return {
    ...parsed,
    denied: [...parsed.denied, ...refused.map(() => "shell (sandbox: read-only)")],
    tools: { calls: outputs.length, failed: failed.length },
  };
};

/** TOML string literal (codex parses every `-c` value as TOML; JSON's escapes are TOML's). */
const toml = (s: string) => JSON.stringify(s);

/** agents.codex.provider as `-c` overrides: codex ignores OPENAI_BASE_URL, and its home is private. */
const providerArgs = (p: CodexProvider): string[] =>
  [
    'model_provider="hyperion"',
    'model_providers.hyperion.name="hyperion"',
    `model_providers.hyperion.base_url=${toml(p.base_url)}`,
    `model_providers.hyperion.wire_api=${toml(p.wire_api)}`,
    ...(p.env_key ? [`model_providers.hyperion.env_key=${toml(p.env_key)}`] : []),
  ].flatMap((kv) => ["-c", kv]);

export const codex: CliSpec = {
  name: "codex",
  bin: "codex",
  install: "npm install -g @openai/codex",
  checked: "0.171.0",
  env: ["OPENAI_*", "CODEX_*"],
  grants: [],
  sessionId: UUID,
  network: true,
  homeVars: { CODEX_HOME: ".codex" },
  namesSessions: "cli",
  // `exec resume` takes neither -s nor -C: the sandbox goes in as config, the directory as cwd.
  argv: (a) => {
    const sandbox = a.allowAllTools || a.writes ? "workspace-write" : "read-only";
    const common = [
      "--json",
      "--skip-git-repo-check",
      ...(a.model ? ["-m", a.model] : []),
      ...(a.provider ? providerArgs(a.provider) : []),
      // Its shells get the core variables only (HOME, PATH...), never its credentials.
      "-c",
      'shell_environment_policy.inherit="core"',
    ];
    // `--` ends the options: the thread id and the prompt are positionals whatever they start with.
    return a.session?.resume
      ? [
          "exec",
          "resume",
          ...common,
          "-c",
          `sandbox_mode="${sandbox}"`,
          ...a.args,
          "--",
          a.session.id,
          a.prompt,
        ]
      : ["exec", ...common, "-s", sandbox, "-C", a.workdir, ...a.args, "--", a.prompt];
  },
  parse,
  inspect,
  nests: true,
  homeTmp: ".tmp",
  exitCodes: {},
};
