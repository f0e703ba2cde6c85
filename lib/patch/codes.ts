import { CODES, type Code } from "../codes.ts";
import { HyperionError } from "../errors.ts";

/** The codes lib/patch refuses or fails with (their meanings are in lib/codes.ts, with every other code). */
export const REASONS = [
  "E_SCHEMA",
  "E_TOO_LARGE",
  "E_BINARY",
  "E_PATH_INVALID",
  "E_PATH_OUTSIDE_REPO",
  "E_PATH_FORBIDDEN",
  "E_PATH_COLLISION",
  "E_NOT_A_FILE",
  "E_NOT_OWNED",
  "E_OP_MISMATCH",
  "E_HUNK_MALFORMED",
  "E_PATCH_MISMATCH",
  "E_NOOP",
  "E_HASH_MISMATCH",
  "E_SIGNATURE",
  "E_REPLAYED",
  "E_APPROVAL_STALE",
  "E_BASE_CHANGED",
  "E_AMBIGUOUS",
  "E_CONFLICT",
  "E_APPLY_IN_PROGRESS",
  "E_BEHIND_FAILED",
  "E_ALREADY_APPLIED",
  "E_NOT_APPLIED",
  "E_ROLLBACK_DIVERGED",
  "E_ROLLBACK_CONFLICT",
  "E_IO",
  "E_APPLY_FAILED",
  "E_LEASE_LOST",
  "E_PRE_IMAGE_CORRUPT",
] as const satisfies readonly Code[];

/** A reason code lib/patch can fail with. */
export type ReasonCode = (typeof REASONS)[number];

/** A HyperionError carrying the reason's retryability and exit code. */
export const fail = (
  code: ReasonCode,
  message: string,
  extra: { hint?: string; details?: Record<string, unknown>; cause?: unknown } = {},
): HyperionError => new HyperionError(code, message, { retryable: CODES[code].retryable, ...extra });

/** A change not applied because one before it on one of its paths, in the same batch, failed. */
export const behindFailed = (id: string, ahead: string): HyperionError =>
  fail("E_BEHIND_FAILED", `${id} was not applied: ${ahead}, before it on one of its paths, failed`, {
    hint: "it goes back in line and is tried once the change before it is settled",
    details: { change_id: id, after: ahead },
  });
