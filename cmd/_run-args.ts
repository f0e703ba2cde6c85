import { EXIT } from "../lib/errors.ts";
import { parseSeconds, parseWhole } from "../lib/ops/filters.ts";
import { type ProgressRecord, problemLine, startRun, textLine } from "../lib/runtime/index.ts";
import { io, say } from "./_io.ts";

/** Flags `run` and `worker` share. */
export const runArgs = {
  workers: { type: "string", description: "Worker threads (default: config `workers`, 2)", valueHint: "N" },
  "progress-interval": {
    type: "string",
    description: "Seconds between progress lines (default: 2)",
    valueHint: "S",
  },
  watch: {
    type: "boolean",
    default: true,
    description: "Record external edits with fs.watch (--no-watch to skip)",
  },
} as const;

/** Renders the runtime's progress records: NDJSON on stdout, or one line on stderr (redrawn on a terminal). */
const renderProgress = (format: "text" | "json") => {
  const { stdout, stderr } = io();
  return (r: ProgressRecord) => {
    const redraw = stderr.isTTY ? "\r\x1b[2K" : "";
    if (format === "json") stdout.write(`${JSON.stringify(r)}\n`);
    else if (r.type === "progress")
      stderr.write(stderr.isTTY ? `${redraw}${textLine(r)}` : `${textLine(r)}\n`);
    else stderr.write(`${redraw}done: ${textLine(r)}\n`);
    if (r.type === "progress") return;
    // What needs a person goes to stderr in every format: stdout stays one parseable stream.
    for (const p of r.problems ?? []) say(problemLine(p));
    if (r.interrupted) {
      say(
        `interrupted: ${r.queued} queued, ${r.leased} leased, ${r.awaiting_approval} awaiting approval remain (resume with \`hyperion run\`)`,
      );
    }
  };
};

/** `run` and `worker`: start the runtime from the shared flags, stop on signals, return the exit code. */
export const runFromArgs = async (
  args: {
    repo?: string;
    db?: string;
    workers?: string;
    "progress-interval"?: string;
    watch?: boolean;
    format: "text" | "json";
  },
  opts: { untilEmpty: boolean; maxChanges?: number; batch?: number },
): Promise<number> => {
  const runner = startRun({
    repo: args.repo,
    db: args.db,
    workers: parseWhole("workers", args.workers, { min: 0 }),
    progressIntervalMs: parseSeconds("progress-interval", args["progress-interval"], 2),
    onProgress: renderProgress(args.format),
    watch: args.watch !== false,
    ...opts,
  });
  const off = onSignals(runner.interrupt, runner.kill);
  try {
    return (await runner.done).exit_code ?? EXIT.ok;
  } finally {
    off();
  }
};

/** First SIGINT/SIGTERM: graceful stop; a second: exit at once. Returns the function that unhooks them. */
export const onSignals = (stop: () => void, kill: () => void): (() => void) => {
  let signals = 0;
  const handler = () => {
    signals++;
    if (signals === 1) stop();
    else {
      kill();
      process.exit(EXIT.interrupted);
    }
  };
  process.on("SIGINT", handler);
  process.on("SIGTERM", handler);
  return () => {
    process.off("SIGINT", handler);
    process.off("SIGTERM", handler);
  };
};
