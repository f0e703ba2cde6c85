/**
 * A stand-in for the real coding CLIs, run as `copilot`, `claude`, `codex` or `gemini` (the name
 * it was started as). It checks its argv against the real CLI's documented flags (the versions in
 * lib/agents/harness/clis/), keeps sessions under the home it was given, and prints the real
 * CLI's output framing. Its "model" is Hyperion's stub, fed from the prompt.
 *
 * Driven by variables the harness forwards only because the test's config names them:
 * HYPERION_STANDIN (scenario), HYPERION_STANDIN_LOG (a JSON line per run), HYPERION_STANDIN_REPO
 * (the model's copy of the repository), HYPERION_STANDIN_SHARED (a directory all runs share).
 */
import { randomUUID } from "node:crypto";
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { basename, dirname, join } from "node:path";
import { stubDeveloper, stubEngineer, stubOrchestrator } from "../../../lib/agents/index.ts";

const cli = basename(process.argv[1]!);
const argv = process.argv.slice(2);
const scenario = process.env.HYPERION_STANDIN ?? "ok";

const die = (code: number, message: string): never => {
  process.stderr.write(`${message}\n`);
  process.exit(code);
};

type Grammar = { values: Record<string, readonly string[] | null>; booleans: string[]; positionals: number };

/** Options each CLI documents (from its --help), with the choices it accepts; null: any value. */
const GRAMMARS: Record<string, Grammar> = {
  copilot: {
    values: {
      "-p": null,
      "--prompt": null,
      "--output-format": ["text", "json"],
      "-C": null,
      "--model": null,
      "--session-id": null,
      "--resume": null,
      "--allow-tool": null,
      "--deny-tool": null,
      "--secret-env-vars": null,
      "--log-level": ["none", "error", "warning", "info", "debug", "all", "default"],
    },
    booleans: [
      "--allow-all-tools",
      "--allow-all-paths",
      "--no-auto-update",
      "--no-custom-instructions",
      "-s",
      "--silent",
      "--no-color",
    ],
    positionals: 0,
  },
  claude: {
    values: {
      "--output-format": ["text", "json", "stream-json"],
      "--model": null,
      "--session-id": null,
      "-r": null,
      "--resume": null,
      "--permission-mode": ["acceptEdits", "auto", "bypassPermissions", "default", "dontAsk", "plan"],
      "--allowedTools": null,
      "--disallowedTools": null,
    },
    booleans: ["-p", "--print", "--verbose"],
    positionals: 1,
  },
  "codex exec": {
    values: {
      "-m": null,
      "--model": null,
      "-s": ["read-only", "workspace-write", "danger-full-access"],
      "-C": null,
      "-c": null,
    },
    booleans: ["--json", "--skip-git-repo-check"],
    positionals: 1,
  },
  // `exec resume` documents neither -s nor -C.
  "codex exec resume": {
    values: { "-m": null, "--model": null, "-c": null },
    booleans: ["--json", "--skip-git-repo-check", "--last"],
    positionals: 2,
  },
  gemini: {
    values: {
      "-p": null,
      "--prompt": null,
      "-o": ["text", "json", "stream-json"],
      "--output-format": ["text", "json", "stream-json"],
      "-m": null,
      "-r": null,
      "--resume": null,
      "--session-id": null,
      "--approval-mode": ["default", "auto_edit", "yolo", "plan"],
      "--allowed-tools": null,
    },
    booleans: ["--skip-trust", "-y", "--yolo"],
    positionals: 0,
  },
};

/** Parses argv like the real CLI: unknown options and bad choices exit 2 (1 for copilot, as commander does). */
const parse = (g: Grammar, args: string[]) => {
  const opts: Record<string, string[]> = {};
  const positionals: string[] = [];
  const push = (name: string, v: string) => {
    opts[name] = [...(opts[name] ?? []), v];
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === "--") {
      positionals.push(...args.slice(i + 1));
      break;
    }
    if (!a.startsWith("-") || a === "-") {
      positionals.push(a);
      continue;
    }
    const [name, inline] = a.includes("=")
      ? [a.slice(0, a.indexOf("=")), a.slice(a.indexOf("=") + 1)]
      : [a, undefined];
    if (g.booleans.includes(name!)) {
      if (inline !== undefined) die(2, `error: option '${name}' takes no value`);
      push(name!, "true");
    } else if (name! in g.values) {
      const v = inline ?? args[++i];
      if (v === undefined) die(2, `error: option '${name}' argument missing`);
      const choices = g.values[name!];
      if (choices && !choices.includes(v!)) die(2, `error: option '${name}' argument '${v}' is invalid`);
      push(name!, v!);
    } else die(2, `error: unknown option '${name}'`);
  }
  if (positionals.length !== g.positionals)
    die(2, `error: expected ${g.positionals} positional argument(s), got ${positionals.length}`);
  return { opts, positionals };
};

const one = (o: Record<string, string[]>, ...names: string[]) => names.flatMap((n) => o[n] ?? []).at(-1);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

let grammar = cli;
let rest = argv;
if (cli === "codex") {
  if (argv[0] !== "exec") die(2, "error: the stand-in only knows `codex exec`");
  grammar = argv[1] === "resume" ? "codex exec resume" : "codex exec";
  rest = argv.slice(grammar === "codex exec resume" ? 2 : 1);
}
const g = GRAMMARS[grammar] ?? die(127, `stand-in: unknown CLI ${cli}`);
const { opts, positionals } = parse(g, rest);

// What each real CLI requires of a headless, machine-read run.
let prompt = "";
let newSession: string | undefined;
let resume: string | undefined;
if (cli === "copilot") {
  prompt = one(opts, "-p", "--prompt") ?? die(2, "stand-in: copilot needs -p");
  if (one(opts, "--output-format") !== "json") die(2, "stand-in: copilot needs --output-format json");
  const dir = one(opts, "-C") ?? die(2, "stand-in: copilot needs -C");
  if (dir !== process.cwd()) die(2, `stand-in: -C ${dir} is not the working directory`);
  if (opts["--resume"] && !rest.some((a) => a.startsWith("--resume="))) die(2, "stand-in: use --resume=<id>");
  newSession = one(opts, "--session-id");
  resume = one(opts, "--resume");
  if (opts["--allow-all-tools"] && (opts["--allow-tool"] || opts["--deny-tool"]))
    die(2, "stand-in: --allow-all-tools with tool lists");
} else if (cli === "claude") {
  if (!opts["-p"] && !opts["--print"]) die(2, "stand-in: claude needs -p");
  prompt = positionals[0]!;
  const format = one(opts, "--output-format");
  if (format !== "json" && format !== "stream-json") die(2, "stand-in: claude needs --output-format json");
  if (format === "stream-json" && !opts["--verbose"])
    die(1, "Error: --output-format=stream-json requires --verbose");
  newSession = one(opts, "--session-id");
  resume = one(opts, "-r", "--resume");
} else if (cli === "codex") {
  if (!opts["--json"]) die(2, "stand-in: codex exec needs --json");
  if (!opts["--skip-git-repo-check"])
    die(1, "Not inside a trusted directory and --skip-git-repo-check was not specified.");
  if (grammar === "codex exec resume") {
    resume = positionals[0];
    prompt = positionals[1]!;
  } else {
    prompt = positionals[0]!;
    if (one(opts, "-C") !== process.cwd()) die(2, "stand-in: -C is not the working directory");
  }
} else {
  prompt = one(opts, "-p", "--prompt") ?? die(2, "stand-in: gemini needs -p");
  if (one(opts, "-o", "--output-format") !== "stream-json") die(2, "stand-in: gemini needs -o stream-json");
  if (!opts["--skip-trust"] && process.env.GEMINI_CLI_TRUST_WORKSPACE !== "true")
    die(55, "Gemini CLI is not running in a trusted directory.");
  newSession = one(opts, "--session-id");
  resume = one(opts, "-r", "--resume");
}
if (newSession && resume) die(2, "stand-in: both a new session and a resume");
// A prompt too long for one argument comes as a file the argument names, as an agent would read it.
const promptFile = prompt.match(/in the file (\S+) of your working directory/)?.[1];
if (promptFile) prompt = readFileSync(promptFile, "utf8");
if (newSession && !UUID.test(newSession)) die(2, `stand-in: --session-id ${newSession} is not a UUID`);

const home = process.env.HOME ?? die(2, "stand-in: no HOME");
const stateDir =
  cli === "copilot"
    ? process.env.COPILOT_HOME
    : cli === "codex"
      ? process.env.CODEX_HOME
      : cli === "claude"
        ? process.env.CLAUDE_CONFIG_DIR
        : join(home, ".gemini");
if (!stateDir || !existsSync(dirname(stateDir)))
  die(2, "stand-in: the state directory's parent does not exist");
if (cli === "codex" && !existsSync(stateDir!))
  die(1, `Error: CODEX_HOME points to ${stateDir}, which does not exist`);

/** Instruction files a real CLI would load: in its working directory and every directory above it. */
const instructionFiles = (): string[] => {
  const found: string[] = [];
  for (let dir = process.cwd(); ; dir = dirname(dir)) {
    for (const name of ["AGENTS.md", "CLAUDE.md", "GEMINI.md", ".github/copilot-instructions.md"])
      if (existsSync(join(dir, name))) found.push(join(dir, name));
    if (dir === dirname(dir)) return found;
  }
};

const log = process.env.HYPERION_STANDIN_LOG;
const record = (extra: Record<string, unknown> = {}) => {
  if (log)
    appendFileSync(
      log,
      `${JSON.stringify({ cli, argv, cwd: process.cwd(), pid: process.pid, home, env: Object.keys(process.env).sort(), scenario, prompt, instructions: instructionFiles(), ...extra })}\n`,
    );
};

// Sessions live in the home, as the real CLIs keep them.
const sessions = join(stateDir!, "standin-sessions");
let sessionId = newSession ?? resume ?? randomUUID();
if (resume) {
  if (!existsSync(join(sessions, resume))) {
    record({ error: "no session" });
    const text: Record<string, string> = {
      copilot: `Error: No session, task, or name matched '${resume}'.`,
      claude: `No conversation found with session ID: ${resume}`,
      codex: `Error: no session found for id ${resume}`,
      gemini: `Invalid session identifier "${resume}".`,
    };
    die(1, text[cli]!);
  }
  sessionId = resume;
}
mkdirSync(join(sessions, sessionId), { recursive: true });
const turns =
  Number(
    existsSync(join(sessions, sessionId, "turns"))
      ? readFileSync(join(sessions, sessionId, "turns"), "utf8")
      : "0",
  ) + 1;
writeFileSync(join(sessions, sessionId, "turns"), String(turns));

// codex and gemini read stdin when it is not a TTY; on a pipe nobody closes, they wait forever.
if (cli === "codex" || cli === "gemini" || scenario === "stdin") await Bun.stdin.text();
record({ session: sessionId, turns });
// A hostile CLI (or model) names its session like an option, hoping it is resumed as one.
if (scenario === "evil-id") sessionId = "--dangerously-skip-permissions";

if (scenario === "hang") await new Promise(() => setInterval(() => {}, 1_000));
// Concurrency: a developer waits (up to 5 s) until `limit` developers run at once, or every one
// of the `total` has started, and records how many it saw at once: more than `limit` breaks the bound.
const limit = Number(process.env.HYPERION_STANDIN_LIMIT ?? 0);
const total = Number(process.env.HYPERION_STANDIN_TOTAL ?? 0);
if (limit > 0 && prompt.includes("You are a Developer")) {
  const dir = process.env.HYPERION_STANDIN_SHARED!;
  const running = join(dir, "running");
  const begun = join(dir, "begun");
  mkdirSync(running, { recursive: true });
  mkdirSync(begun, { recursive: true });
  // Not the pid: inside each sandbox's own pid namespace, every stand-in has the same one.
  const me = randomUUID();
  writeFileSync(join(running, me), "");
  writeFileSync(join(begun, me), "");
  const count = () => readdirSync(running).length;
  const done = () => count() >= limit || readdirSync(begun).length >= total;
  let most = count();
  for (const until = Date.now() + 5_000; !done() && Date.now() < until; most = Math.max(most, count()))
    await Bun.sleep(10);
  most = Math.max(most, count());
  record({ running: most });
  rmSync(join(running, me));
}
if (scenario === "auth") {
  const code = cli === "gemini" ? 41 : 1;
  die(
    code,
    cli === "claude"
      ? "Invalid API key · Please run /login"
      : "Error: not logged in. Run `login` or set a token.",
  );
}
if (scenario === "fail") die(cli === "gemini" ? 53 : 3, "Error: the model gave up (turn limit)");

/** The stub's answer for the prompt, as Hyperion's stub harness would give it. */
const answer = (): unknown => {
  const repo = process.env.HYPERION_STANDIN_REPO ?? "/nonexistent";
  if (prompt.startsWith("You are a Developer. Carry out your task by editing files")) {
    const task = JSON.parse(prompt.slice(prompt.lastIndexOf("Task:\n") + 6));
    const files: Record<string, string | null> = {};
    for (const p of [...task.owned_paths, ...task.context_paths])
      files[p] = existsSync(p) ? readFileSync(p, "utf8") : null;
    const out = stubDeveloper({ task, files });
    for (const f of out.files) {
      if (f.op === "write") {
        mkdirSync(dirname(f.path), { recursive: true });
        writeFileSync(f.path, f.content);
      } else if (f.op === "delete") rmSync(f.path);
      else {
        const content = f.content ?? readFileSync(f.path, "utf8");
        rmSync(f.path);
        mkdirSync(dirname(f.new_path), { recursive: true });
        writeFileSync(f.new_path, content);
      }
    }
    if (scenario === "stray") {
      writeFileSync("stray.txt", "written outside the task\n");
      for (const p of task.context_paths) if (existsSync(p)) writeFileSync(p, "clobbered\n");
    }
    return `Edited ${out.files.map((f) => f.path).join(", ")}`;
  }
  const input = JSON.parse(prompt.slice(prompt.lastIndexOf("Input:\n") + 7));
  if (prompt.startsWith("You are the Engineer.")) return stubEngineer(input);
  if (prompt.startsWith("You are the Orchestrator.")) return stubOrchestrator(input, repo);
  return stubDeveloper(input);
};

const value = answer();
const json = typeof value === "string" ? value : JSON.stringify(value);
const text =
  scenario === "garbage"
    ? "I fixed everything, trust me! 🎉"
    : scenario === "prose"
      ? `Sure. Here is my answer:\n\n\`\`\`json\n${JSON.stringify(value, null, 2)}\n\`\`\`\n\nAnything else?`
      : json;
const denied = scenario === "denied";
const out = (o: unknown) => process.stdout.write(`${JSON.stringify(o)}\n`);
const now = () => new Date().toISOString();

if (cli === "copilot") {
  out({
    type: "session.mcp_servers_loaded",
    ephemeral: true,
    data: { servers: [] },
    id: randomUUID(),
    timestamp: now(),
  });
  out({ type: "user.message", data: { content: prompt.slice(0, 40) }, id: randomUUID(), timestamp: now() });
  if (denied) {
    out({
      type: "tool.execution_start",
      data: { toolCallId: "call_1", toolName: "bash", arguments: { command: "rm -rf /" } },
    });
    out({
      type: "tool.execution_complete",
      data: {
        toolCallId: "call_1",
        success: false,
        error: {
          message: "Permission denied because no interactive user response was available.",
          code: "denied",
        },
      },
    });
  }
  out({ type: "assistant.message_delta", ephemeral: true, data: { deltaContent: text.slice(0, 5) } });
  out({
    type: "assistant.message",
    data: { content: text, toolRequests: [] },
    id: randomUUID(),
    timestamp: now(),
  });
  out({
    type: "result",
    timestamp: now(),
    sessionId,
    exitCode: 0,
    usage: {
      premiumRequests: 0,
      totalApiDurationMs: 5,
      sessionDurationMs: 42,
      codeChanges: { linesAdded: 0, linesRemoved: 0, filesModified: [] },
    },
  });
} else if (cli === "claude") {
  const result = {
    type: "result",
    subtype: "success",
    is_error: false,
    duration_ms: 42,
    num_turns: turns,
    result: text,
    session_id: sessionId,
    usage: { input_tokens: 100, output_tokens: 20 },
    permission_denials: denied
      ? [{ tool_name: "Bash", tool_use_id: "toolu_1", tool_input: { command: "rm -rf /" } }]
      : [],
  };
  if (one(opts, "--output-format") === "stream-json") {
    out({ type: "system", subtype: "init", session_id: sessionId, tools: ["Bash", "Edit"] });
    out({ type: "assistant", message: { content: [{ type: "text", text }] }, session_id: sessionId });
    out(result);
  } else process.stdout.write(JSON.stringify(result));
} else if (cli === "codex") {
  out({ type: "thread.started", thread_id: sessionId });
  out({ type: "turn.started" });
  if (denied)
    out({
      type: "item.completed",
      item: {
        id: "item_0",
        type: "command_execution",
        command: "rm -rf /",
        aggregated_output: "",
        exit_code: null,
        status: "declined",
      },
    });
  out({ type: "item.completed", item: { id: "item_1", type: "agent_message", text } });
  out({ type: "turn.completed", usage: { input_tokens: 100, cached_input_tokens: 0, output_tokens: 20 } });
} else {
  // stream-json (0.61.0): a tool headless mode does not offer fails as tool_not_registered.
  out({ type: "init", session_id: sessionId, model: "gemini-test" });
  if (denied) {
    out({
      type: "tool_use",
      tool_name: "run_shell_command",
      tool_id: "t1",
      parameters: { command: "rm -rf /" },
    });
    out({
      type: "tool_result",
      tool_id: "t1",
      status: "error",
      error: { type: "tool_not_registered", message: 'Tool "run_shell_command" not found.' },
    });
  }
  out({ type: "message", role: "assistant", content: text, delta: true });
  out({
    type: "result",
    status: "success",
    stats: { input_tokens: 100, output_tokens: 20, duration_ms: 42 },
  });
}
