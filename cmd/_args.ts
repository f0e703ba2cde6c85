import { readFileSync } from "node:fs";
import { envError, usageError } from "../lib/errors.ts";
import { io, out } from "./_io.ts";
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
  out(`${JSON.stringify(value, null, 2)}`);
};

/**
 * Reads a file, or standard input for `-`. A terminal on stdin is refused rather than waited on:
 * the command is headless and must never hang.
 */
export const readInput = async (file: string): Promise<{ text: string; source: string }> => {
  if (file === "-") {
    const stdin = io().stdin;
    if (stdin.isTTY) {
      throw usageError("E_INPUT", "standard input is a terminal", "pipe the JSON in, or pass a file name");
    }
    return { text: await new Response(stdin.stream()).text(), source: "<stdin>" };
  }
  try {
    return { text: readFileSync(file, "utf8"), source: file };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT")
      throw usageError("E_INPUT", `${file} does not exist`, "pass a JSON file, or - for standard input");
    throw envError("E_IO", `cannot read ${file}: ${(e as Error).message}`);
  }
};
