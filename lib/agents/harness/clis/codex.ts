import { z } from "zod";
import { type CliSpec, jsonLines, type ParsedRun, UUID, unframed } from "../spec.ts";

/** The JSON Lines events of `codex exec --json` (0.169.0) that Hyperion reads. */
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

export const codex: CliSpec = {
  name: "codex",
  bin: "codex",
  install: "npm install -g @openai/codex",
  checked: "0.169.0",
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
  exitCodes: {},
};
