import { createConsola } from "consola";

/** Where tracing text goes: the process's stderr, or the stream a command's caller gave. */
let sink: (text: string) => void = (text) => {
  process.stderr.write(text);
};

/**
 * Tracing goes to stderr and is quiet unless HYPERION_LOG=1 (or --verbose), so stdout
 * carries results only and `--format json` output always parses.
 */
export const log = createConsola({
  level: process.env.HYPERION_LOG === "1" ? 4 : 1,
  // consola writes to whatever stream it was given; this one forwards to the current sink.
  stdout: { write: (t: string) => sink(t) } as unknown as NodeJS.WriteStream,
  stderr: { write: (t: string) => sink(t) } as unknown as NodeJS.WriteStream,
});

/** Points tracing at `write` (a command's stderr); returns a function that restores the previous one. */
export const logTo = (write: (text: string) => void, verbose: boolean): (() => void) => {
  const [prevSink, prevLevel] = [sink, log.level];
  sink = write;
  log.level = verbose ? 4 : 1;
  return () => {
    sink = prevSink;
    log.level = prevLevel;
  };
};
