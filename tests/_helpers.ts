import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir as osTmpdir } from "node:os";
import { join, resolve } from "node:path";
import { HyperionError } from "../lib/errors.ts";

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

type RunOpts = Parameters<typeof run>[1];

const setEnv = (env: Record<string, string | undefined>) => {
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
};

/**
 * `hyperion <args>` in this process, as an operator would type it: the working directory,
 * environment and standard input are the call's, and stdout/stderr are collected. Tests run one
 * at a time within a file, so changing the process's cwd and env for the call is safe.
 */
export const hyperion = async (args: string[], opts: RunOpts = {}): Promise<RunResult> => {
  const [{ main }, { root }, { bufferIo }] = await Promise.all([
    import("../cmd/_main.ts"),
    import("../cmd/_root.ts"),
    import("../cmd/_io.ts"),
  ]);
  const env = { HYPERION_LOG: undefined, HYPERION_DB: undefined, ...opts.env };
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  const cwd = process.cwd();
  const buffers = bufferIo(opts.stdin);
  setEnv(env);
  process.chdir(opts.cwd ?? ROOT);
  try {
    const exitCode = await main(root, args, buffers.io);
    return { exitCode, stdout: buffers.stdout(), stderr: buffers.stderr() };
  } finally {
    process.chdir(cwd);
    setEnv(saved);
    // A command that never waits on I/O would resolve in microtasks alone: let the event loop
    // turn, as a child process's exit would, so a caller looping on it never starves timers and
    // Workers' messages.
    await new Promise((resolve) => setImmediate(resolve));
  }
};

/** `hyperion <args>` from source as a child process: for signals, crashes and real pipes. */
export const hyperionProcess = (args: string[], opts: RunOpts = {}) =>
  run([process.execPath, join(ROOT, "cmd/hyperion.ts"), ...args], opts);

/** The HyperionError `fn` throws; fails the test when it throws nothing, rethrows anything else. */
export const thrown = (fn: () => unknown): HyperionError => {
  try {
    fn();
  } catch (e) {
    if (e instanceof HyperionError) return e;
    throw e;
  }
  throw new Error("expected a HyperionError");
};
