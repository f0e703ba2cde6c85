import { closeSync, constants, fstatSync, openSync, readSync } from "node:fs";
import { envError, usageError } from "./errors.ts";

/** How much a command reads from a file or standard input, and how long it waits for it. */
export type InputLimits = {
  /** Largest input; more is refused while it streams in, before anything is parsed. */
  maxBytes: number;
  /** Longest wait for an input that does not end (a stdin nobody closes). */
  timeoutMs: number;
};

/**
 * The largest input read by default. What is read is held in memory whole until refused or
 * parsed, so this bounds a command's memory: a CLI that refuses 200 MB on stdin peaks near 85 MB.
 */
export const MAX_INPUT_BYTES = 24 * 1024 * 1024;

/** Defaults: MAX_INPUT_BYTES and half a minute. */
export const DEFAULT_INPUT_LIMITS: InputLimits = { maxBytes: MAX_INPUT_BYTES, timeoutMs: 30_000 };

const CHUNK = 64 * 1024;
// How long to sleep while a pipe is open and empty: short, since each wait delays the command.
const IDLE_SLEEP_MS = 5;

const tooLarge = (source: string, maxBytes: number, size?: number) =>
  usageError(
    "E_INPUT_TOO_LARGE",
    `${source} is ${size === undefined ? "over" : `${size} bytes, over`} the ${maxBytes}-byte input limit`,
    "split it into smaller requests",
  );

/** Input already in memory (an in-process caller's stdin): the same size bound, as UTF-8 text. */
export const checkInputBytes = (bytes: Uint8Array, source: string, maxBytes = MAX_INPUT_BYTES): string => {
  if (bytes.length > maxBytes) throw tooLarge(source, maxBytes, bytes.length);
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw usageError("E_INPUT_ENCODING", `${source} is not valid UTF-8`, "save it as UTF-8 text");
  }
};

/**
 * Opens what to read without ever blocking: a file, or for `-` the pipe or file on stdin opened
 * anew in non-blocking mode (Linux /proc/self/fd/0), so a stdin that never closes is waited on
 * with a deadline rather than forever. Falls back to fd 0 itself where it cannot be reopened.
 */
const open = (file: string): { fd: number; own: boolean } => {
  const flags = constants.O_RDONLY | constants.O_NONBLOCK;
  if (file !== "-") return { fd: openSync(file, flags), own: true };
  try {
    return { fd: openSync("/proc/self/fd/0", flags), own: true };
  } catch {
    return { fd: 0, own: false };
  }
};

/**
 * Reads a file, or standard input for `-`, as UTF-8 text: bounded in bytes (a regular file over
 * the limit is refused by its size, a stream as soon as it passes it, so memory never holds more
 * than the limit), bounded in time (a stream that neither ends nor is closed), and refused when
 * it is not valid UTF-8 (never stored with replacement characters). A terminal is refused: the
 * commands are headless and must never hang.
 */
export const readBoundedInput = (
  file: string,
  limits: Partial<InputLimits> = {},
): { text: string; source: string } => {
  const { maxBytes, timeoutMs } = { ...DEFAULT_INPUT_LIMITS, ...limits };
  const source = file === "-" ? "<stdin>" : file;
  if (file === "-" && process.stdin.isTTY)
    throw usageError("E_INPUT", "standard input is a terminal", "pipe the JSON in, or pass a file name");
  let opened: { fd: number; own: boolean };
  try {
    opened = open(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT")
      throw usageError("E_INPUT", `${file} does not exist`, "pass a JSON file, or - for standard input");
    throw envError("E_IO", `cannot read ${file}: ${(e as Error).message}`);
  }
  try {
    const st = fstatSync(opened.fd);
    if (st.isDirectory()) throw usageError("E_INPUT", `${file} is a directory`, "pass a JSON file");
    if (st.isFile() && st.size > maxBytes) throw tooLarge(source, maxBytes, st.size);
    const chunks: Buffer[] = [];
    let total = 0;
    const deadline = performance.now() + timeoutMs;
    // A regular file is read in one call (one more byte than its size, to see it end); a pipe in chunks.
    const size = st.isFile() ? st.size + 1 : CHUNK;
    const buf = Buffer.allocUnsafe(size);
    for (;;) {
      let n: number;
      try {
        n = readSync(opened.fd, buf, 0, size, null);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "EAGAIN") throw e;
        if (performance.now() > deadline) {
          throw usageError(
            "E_INPUT_TIMEOUT",
            `${source} did not end within ${timeoutMs} ms`,
            "close the input when it is complete (end the pipe), or pass a file",
          );
        }
        Bun.sleepSync(IDLE_SLEEP_MS);
        continue;
      }
      if (n === 0) break;
      total += n;
      if (total > maxBytes) throw tooLarge(source, maxBytes);
      // Copied out at its length: a pipe hands over a few KiB at a time.
      chunks.push(Buffer.from(buf.subarray(0, n)));
    }
    const bytes = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total);
    chunks.length = 0;
    return { text: checkInputBytes(bytes, source, maxBytes), source };
  } catch (e) {
    if (e instanceof Error && "code" in e && typeof (e as NodeJS.ErrnoException).errno === "number")
      throw envError("E_IO", `cannot read ${source}: ${e.message}`);
    throw e;
  } finally {
    if (opened.own) closeSync(opened.fd);
  }
};
