import { usageError } from "../lib/errors.ts";

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
