import { safeText } from "../lib/safe-text.ts";

/**
 * The one output path. A command writes its result to `io().stdout` and diagnostics to
 * `io().stderr`; `main` waits for both to drain before it returns, so a slow reader of a pipe
 * gets every byte. Tests hand `main` buffers instead of the process's streams.
 */

/** Somewhere a command writes text. */
export type Sink = {
  write(text: string): void;
  /** Resolves once everything written so far has reached the reader (the pipe, the buffer). */
  flush(): Promise<void>;
  isTTY: boolean;
};

/** Where a command reads standard input from: the process's own (fd 0), or a stream a caller hands over. */
export type Source = { isTTY: boolean; fd?: 0; stream(): ReadableStream<Uint8Array> };

export type Io = { stdout: Sink; stderr: Sink; stdin: Source };

const processSink = (stream: NodeJS.WriteStream): Sink => {
  let last: Promise<void> = Promise.resolve();
  return {
    isTTY: stream.isTTY === true,
    write(text) {
      // The callback runs once the text is handed to the reader; an error (EPIPE) ends the wait too.
      last = new Promise((done) => stream.write(text, () => done()));
    },
    flush: () => last,
  };
};

export const processIo = (): Io => ({
  stdout: processSink(process.stdout),
  stderr: processSink(process.stderr),
  stdin: { isTTY: process.stdin.isTTY === true, fd: 0, stream: () => Bun.stdin.stream() },
});

/** Buffers for an in-process run: what was written, and a standard input given as text. */
export const bufferIo = (stdin?: string) => {
  const chunks = { stdout: [] as string[], stderr: [] as string[] };
  const sink = (into: string[]): Sink => ({
    isTTY: false,
    write: (text) => void into.push(text),
    flush: async () => {},
  });
  const io: Io = {
    stdout: sink(chunks.stdout),
    stderr: sink(chunks.stderr),
    stdin: {
      isTTY: false,
      stream: () => new Blob(stdin === undefined ? [] : [stdin]).stream(),
    },
  };
  return { io, stdout: () => chunks.stdout.join(""), stderr: () => chunks.stderr.join("") };
};

let current: Io | undefined;

/** The streams of the command now running. */
export const io = (): Io => {
  current ??= processIo();
  return current;
};

/** Runs `fn` with `next` as the current streams. */
export const withIo = async <T>(next: Io, fn: () => Promise<T>): Promise<T> => {
  const prev = current;
  current = next;
  try {
    return await fn();
  } finally {
    current = prev;
  }
};

/** A result on stdout: one line or block of text, newline-terminated. */
export const out = (text: string): void => {
  if (text !== "") io().stdout.write(text.endsWith("\n") ? text : `${text}\n`);
};

/** A JSON document on stdout. */
export const outJson = (value: unknown): void => out(JSON.stringify(value, null, 2));

/** A command's result in the format the operator chose: JSON, or the text `render` makes. */
export const emit = (format: string, value: unknown, render: () => string): void =>
  format === "json" ? outJson(value) : out(render());

/**
 * A diagnostic on stderr, prefixed like every line Hyperion prints there. Lines quote outside text
 * (paths, agent prose, command output), so none of it reaches the terminal as a control.
 */
export const say = (line: string): void => io().stderr.write(`hyperion: ${safeText(line)}\n`);

/** Text results that quote outside text (an agent's questions, paths): shown, never acted on. */
export const outText = (text: string): void => out(safeText(text, { multiline: true }));
