import { readBoundedInput } from "../lib/input.ts";

/** Flags several commands share, defined once so their names and help stay the same everywhere. */
export const repoArgs = {
  repo: { type: "string", description: "Repository root (default: the current directory)", valueHint: "DIR" },
  db: {
    type: "string",
    description: "Database file (default: <repo>/.hyperion/hyperion.db, or $HYPERION_DB)",
    valueHint: "FILE",
  },
} as const;

export const formatArg = <const T extends string>(options: T[], fallback: T) => ({
  type: "enum" as const,
  description: `Output format: ${options.join(", ")}`,
  options,
  default: fallback,
});

/** Writes one JSON document to stdout; stdout carries results only. */
export const printJson = (value: unknown): void => {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
};

/**
 * Reads a file, or standard input for `-` (lib/input.ts: bounded in bytes and time, UTF-8 only).
 * A terminal on stdin is refused rather than waited on: the command is headless and must never hang.
 */
export const readInput = (file: string): { text: string; source: string } => readBoundedInput(file);
