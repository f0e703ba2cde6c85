import { usageError } from "../lib/errors.ts";
import { startRun } from "../lib/runtime/index.ts";

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

export const intArg = (value: string | undefined, flag: string, min: number): number | undefined => {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min)
    throw usageError("E_USAGE", `${flag} must be an integer >= ${min}, got '${value}'`);
  return n;
};

export const secondsArg = (value: string | undefined, flag: string, fallback: number): number => {
  const n = value === undefined ? fallback : Number(value);
  if (!Number.isFinite(n) || n <= 0)
    throw usageError("E_USAGE", `${flag} must be a positive number of seconds, got '${value}'`);
  return Math.round(n * 1000);
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
  opts: { untilEmpty: boolean; maxChanges?: number },
): Promise<number> => {
  const runner = startRun({
    repo: args.repo,
    db: args.db,
    workers: intArg(args.workers, "--workers", 0),
    progressIntervalMs: secondsArg(args["progress-interval"], "--progress-interval", 2),
    format: args.format,
    watch: args.watch !== false,
    ...opts,
  });
  onSignals(runner.stop, runner.kill);
  return (await runner.done).exit_code ?? 0;
};

/** First SIGINT/SIGTERM: graceful stop; a second: exit at once. */
export const onSignals = (stop: () => void, kill: () => void): void => {
  let signals = 0;
  const handler = () => {
    signals++;
    if (signals === 1) stop();
    else {
      kill();
      process.exit(130);
    }
  };
  process.on("SIGINT", handler);
  process.on("SIGTERM", handler);
};
