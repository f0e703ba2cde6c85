import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir as osTmpdir } from "node:os";
import { join, resolve } from "node:path";

/** The source tree's root. */
export const ROOT = resolve(import.meta.dir, "..");

/** A temporary directory removed when the `await using` scope ends. */
export const tmpdir = async (prefix = "hyperion-test-") => {
  const path = await mkdtemp(join(osTmpdir(), prefix));
  return {
    path,
    async [Symbol.asyncDispose]() {
      await rm(path, { recursive: true, force: true });
    },
  };
};

export type RunResult = { exitCode: number; stdout: string; stderr: string };

/** Runs a real child process and collects its output. */
export const run = async (
  argv: string[],
  opts: { cwd?: string; env?: Record<string, string | undefined>; stdin?: string } = {},
): Promise<RunResult> => {
  const proc = Bun.spawn(argv, {
    cwd: opts.cwd ?? ROOT,
    env: { ...process.env, HYPERION_LOG: undefined, HYPERION_DB: undefined, ...opts.env },
    stdin: opts.stdin === undefined ? "ignore" : new Blob([opts.stdin]),
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, stderr, exitCode] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  return { exitCode, stdout, stderr };
};

/** `hyperion <args>` from source, as a child process. */
export const hyperion = (args: string[], opts: Parameters<typeof run>[1] = {}) =>
  run([process.execPath, join(ROOT, "cmd/hyperion.ts"), ...args], opts);
