import { createConsola } from "consola";

/**
 * Tracing goes to stderr and is quiet unless HYPERION_LOG=1 (or --verbose), so stdout
 * carries results only and `--format json` output always parses.
 */
export const log = createConsola({
  level: process.env.HYPERION_LOG === "1" ? 4 : 1,
  stdout: process.stderr,
  stderr: process.stderr,
});

export const setVerbose = (on: boolean): void => {
  if (on) log.level = 4;
};
