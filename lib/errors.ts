/**
 * One error type for everything a user, an agent or the environment can cause.
 * The single catch in cmd/_main.ts turns it into one line on stderr and an exit code.
 */

import { asCode, CODES, type Code, isCode } from "./codes.ts";
import { EXIT, type ExitCode } from "./exit.ts";
import { safeText } from "./safe-text.ts";

export { asCode, type Code, EXIT, type ExitCode, isCode };

export type HyperionErrorOptions = {
  /** Process exit code when this error reaches the top (default: the code's, in lib/codes.ts). */
  exitCode?: ExitCode;
  /** One short sentence on how to fix it. */
  hint?: string;
  /** Structured facts for logs and JSON output (hunk, expected/found lines, paths...). */
  details?: Record<string, unknown>;
  /** True when trying again later may succeed (busy, base changed); the queue backs off and retries. */
  retryable?: boolean;
  cause?: unknown;
};

export class HyperionError extends Error {
  readonly code: Code;
  readonly exitCode: ExitCode;
  readonly hint: string | undefined;
  readonly details: Record<string, unknown> | undefined;
  readonly retryable: boolean;

  constructor(code: Code, message: string, opts: HyperionErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = "HyperionError";
    this.code = code;
    this.exitCode = opts.exitCode ?? CODES[code].exitCode;
    this.hint = opts.hint;
    this.details = opts.details;
    this.retryable = opts.retryable ?? false;
  }

  /**
   * The single line an operator sees: `E_CODE: message (hint)`. Messages quote agents' text and
   * file names, so escape sequences and newlines in them are shown escaped (lib/safe-text).
   */
  oneLine(): string {
    return `${this.code}: ${safeText(this.message)}${this.hint ? ` (${safeText(this.hint)})` : ""}`;
  }

  toJSON(): { code: string; message: string; hint?: string; details?: Record<string, unknown> } {
    return {
      code: this.code,
      message: this.message,
      ...(this.hint ? { hint: this.hint } : {}),
      ...(this.details ? { details: this.details } : {}),
    };
  }
}

export const isHyperionError = (e: unknown): e is HyperionError => e instanceof HyperionError;

/** Input errors (exit 2). */
export const usageError = (code: Code, message: string, hint?: string, details?: Record<string, unknown>) =>
  new HyperionError(code, message, { exitCode: EXIT.usage, hint, details });

/** Environment errors (exit 1): the input was fine, the machine or the files were not. */
export const envError = (code: Code, message: string, hint?: string, details?: Record<string, unknown>) =>
  new HyperionError(code, message, { exitCode: EXIT.failure, hint, details });
