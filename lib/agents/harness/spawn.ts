/** What one child process did. */
export type ChildRun = { exitCode: number | null; stdout: string; stderr: string; signal?: string };

/** Most output kept from one run (the answer is in it; a runaway CLI must not exhaust memory). */
const MAX_OUTPUT = 16 * 1024 * 1024;

const collect = async (stream: ReadableStream<Uint8Array>): Promise<string> => {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const c of stream) {
    if (size < MAX_OUTPUT) chunks.push(c);
    size += c.byteLength;
  }
  return Buffer.concat(chunks).toString("utf8");
};

/** Signals a process group; a group already gone is no error. */
const killGroup = (pid: number, signal: NodeJS.Signals) => {
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: nothing left in the group.
  }
};

/**
 * Runs a CLI to completion with an empty stdin (codex and gemini read stdin when it is not a
 * TTY, and would wait forever on a pipe). The child leads its own process group (a new session),
 * so on abort the whole group is killed (TERM, then KILL), grandchildren included, and the
 * promise rejects at once: it does not wait for them to close the pipes.
 * ENOENT (no such executable) rejects with the spawn error itself.
 */
export const runChild = (
  argv: string[],
  opts: { cwd: string; env: Record<string, string>; signal: AbortSignal },
): Promise<ChildRun> =>
  new Promise((resolve, reject) => {
    if (opts.signal.aborted) return reject(opts.signal.reason ?? new Error("aborted"));
    let proc: ReturnType<typeof Bun.spawn>;
    try {
      proc = Bun.spawn(argv, {
        cwd: opts.cwd,
        env: opts.env,
        stdin: "ignore",
        stdout: "pipe",
        stderr: "pipe",
        detached: true,
      });
    } catch (e) {
      return reject(e);
    }
    let killTimer: ReturnType<typeof setTimeout> | undefined;
    const onAbort = () => {
      killGroup(proc.pid, "SIGTERM");
      killTimer = setTimeout(() => killGroup(proc.pid, "SIGKILL"), 2_000);
      killTimer.unref?.();
      reject(opts.signal.reason ?? new Error("aborted"));
    };
    opts.signal.addEventListener("abort", onAbort, { once: true });
    // Whatever the child left running in its group dies with it (and closes the pipes).
    const exited = proc.exited.then((code) => {
      killGroup(proc.pid, "SIGKILL");
      return code;
    });
    Promise.all([
      collect(proc.stdout as ReadableStream<Uint8Array>),
      collect(proc.stderr as ReadableStream<Uint8Array>),
      exited,
    ]).then(
      ([stdout, stderr, exitCode]) => {
        opts.signal.removeEventListener("abort", onAbort);
        if (killTimer) clearTimeout(killTimer);
        resolve({ exitCode, stdout, stderr, signal: proc.signalCode ? String(proc.signalCode) : undefined });
      },
      (e) => {
        opts.signal.removeEventListener("abort", onAbort);
        reject(e);
      },
    );
  });
