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

/**
 * Runs a CLI to completion with an empty stdin (codex and gemini read stdin when it is not a
 * TTY, and would wait forever on a pipe). On abort the child is killed (TERM, then KILL) and the
 * promise rejects at once: it does not wait for grandchildren that keep the pipes open.
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
      });
    } catch (e) {
      return reject(e);
    }
    let killTimer: ReturnType<typeof setTimeout> | undefined;
    const onAbort = () => {
      proc.kill("SIGTERM");
      killTimer = setTimeout(() => proc.kill("SIGKILL"), 2_000);
      killTimer.unref?.();
      reject(opts.signal.reason ?? new Error("aborted"));
    };
    opts.signal.addEventListener("abort", onAbort, { once: true });
    Promise.all([
      collect(proc.stdout as ReadableStream<Uint8Array>),
      collect(proc.stderr as ReadableStream<Uint8Array>),
      proc.exited,
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
