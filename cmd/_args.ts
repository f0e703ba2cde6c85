import { usageError } from "../lib/errors.ts";
import { checkInputBytes, readBoundedInput } from "../lib/input.ts";
import { io } from "./_io.ts";

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

/**
 * Reads a file, or standard input for `-` (lib/input.ts: bounded in bytes and time, UTF-8 only).
 * A terminal on stdin is refused rather than waited on: the command is headless and must never hang.
 */
export const readInput = async (file: string): Promise<{ text: string; source: string }> => {
  const stdin = io().stdin;
  if (file !== "-" || stdin.fd === 0) return readBoundedInput(file);
  // An in-process caller's standard input: the same bounds on what it handed over.
  if (stdin.isTTY)
    throw usageError("E_INPUT", "standard input is a terminal", "pipe the JSON in, or pass a file name");
  return {
    text: checkInputBytes(new Uint8Array(await new Response(stdin.stream()).arrayBuffer()), "<stdin>"),
    source: "<stdin>",
  };
};
