/** Exit codes shared by every command (docs/CLI.md, Exit codes). */
export const EXIT = { ok: 0, failure: 1, usage: 2, needsPerson: 3, interrupted: 130 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];
