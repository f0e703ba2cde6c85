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
