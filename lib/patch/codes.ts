import { EXIT, type ExitCode, HyperionError } from "../errors.ts";

type Reason = { meaning: string; retryable: boolean; exitCode: ExitCode };

/**
 * Every reason lib/patch refuses or fails with. Codes are stable (logs, dead letters and scripts
 * match on them); docs/HARDENING.md lists the same table and a test keeps the two in step.
 */
export const REASONS = {
  E_SCHEMA: {
    meaning: "the change request does not match the ChangeRequest schema",
    retryable: false,
    exitCode: EXIT.usage,
  },
  E_TOO_LARGE: {
    meaning: "a patch, the change or a file exceeds the configured limits",
    retryable: false,
    exitCode: EXIT.usage,
  },
  E_BINARY: {
    meaning: "a patch or a target file is not UTF-8 text (binary patches are refused)",
    retryable: false,
    exitCode: EXIT.usage,
  },
  E_PATH_INVALID: {
    meaning: "a path is malformed: empty, control characters, not NFC, backslash, '.', reserved name",
    retryable: false,
    exitCode: EXIT.usage,
  },
  E_PATH_OUTSIDE_REPO: {
    meaning: "a path is absolute, climbs with '..', names a drive, or resolves outside the repository",
    retryable: false,
    exitCode: EXIT.usage,
  },
  E_PATH_FORBIDDEN: {
    meaning: "a path is inside .git/ or .hyperion/, or the patch asks for a symlink or submodule",
    retryable: false,
    exitCode: EXIT.usage,
  },
  E_PATH_COLLISION: {
    meaning: "two changes of one request touch the same file (also by case or file/directory)",
    retryable: false,
    exitCode: EXIT.usage,
  },
  E_NOT_A_FILE: {
    meaning: "the target is a symlink, directory or special file; only regular files are changed",
    retryable: false,
    exitCode: EXIT.usage,
  },
  E_NOT_OWNED: {
    meaning: "the change touches a path its task does not own",
    retryable: false,
    exitCode: EXIT.usage,
  },
  E_OP_MISMATCH: {
    meaning: "the operation disagrees with the patch or the tree (create of an existing file...)",
    retryable: false,
    exitCode: EXIT.usage,
  },
  E_HUNK_MALFORMED: {
    meaning: "the patch is not one well-formed unified diff with hunks",
    retryable: false,
    exitCode: EXIT.usage,
  },
  E_PATCH_MISMATCH: {
    meaning: "the patch does not apply exactly to the content its base_sha256 names",
    retryable: false,
    exitCode: EXIT.usage,
  },
  E_NOOP: { meaning: "the patch leaves the file as it was", retryable: false, exitCode: EXIT.usage },
  E_HASH_MISMATCH: {
    meaning: "applying the patch to its base does not give new_sha256",
    retryable: false,
    exitCode: EXIT.usage,
  },
  E_SIGNATURE: {
    meaning: "the stored payload's signature does not verify (edited on disk or another key)",
    retryable: false,
    exitCode: EXIT.failure,
  },
  E_BASE_CHANGED: {
    meaning: "the file changed since the patch was made and no rebase worked yet",
    retryable: true,
    exitCode: EXIT.failure,
  },
  E_CONFLICT: {
    meaning: "the change can never apply to the tree as it is (overlapping edits, file gone or taken)",
    retryable: false,
    exitCode: EXIT.failure,
  },
  E_APPLY_IN_PROGRESS: {
    meaning: "another apply of these paths is under way or awaits recovery",
    retryable: true,
    exitCode: EXIT.failure,
  },
  E_ALREADY_APPLIED: {
    meaning: "a change with this id was already applied from a different payload",
    retryable: false,
    exitCode: EXIT.failure,
  },
  E_NOT_APPLIED: {
    meaning: "rollback of a change that is not applied",
    retryable: false,
    exitCode: EXIT.usage,
  },
  E_ROLLBACK_DIVERGED: {
    meaning: "files no longer hold what the change wrote; rollback refused",
    retryable: false,
    exitCode: EXIT.needsPerson,
  },
  E_ROLLBACK_CONFLICT: {
    meaning: "a forced rollback's three-way merge conflicts with later edits; nothing was written",
    retryable: false,
    exitCode: EXIT.needsPerson,
  },
  E_APPLY_FAILED: {
    meaning: "applying the change threw an unexpected error; what it wrote was undone, it fails alone",
    retryable: true,
    exitCode: EXIT.failure,
  },
  E_LEASE_LOST: {
    meaning: "the worker no longer holds the change's lease (it stalled past it); it wrote nothing",
    retryable: false,
    exitCode: EXIT.failure,
  },
  E_PRE_IMAGE_CORRUPT: {
    meaning: "a recorded pre-image does not match its recorded hash; rollback refused, nothing written",
    retryable: false,
    exitCode: EXIT.failure,
  },
  E_IO: {
    meaning: "the file system failed (permissions, disk full...); nothing was changed",
    retryable: true,
    exitCode: EXIT.failure,
  },
} as const satisfies Record<string, Reason>;
/** A reason code lib/patch can fail with. */
export type ReasonCode = keyof typeof REASONS;

/** A HyperionError carrying the reason's retryability and exit code. */
export const fail = (
  code: ReasonCode,
  message: string,
  extra: { hint?: string; details?: Record<string, unknown>; cause?: unknown } = {},
): HyperionError => {
  const r: Reason = REASONS[code];
  return new HyperionError(code, message, { exitCode: r.exitCode, retryable: r.retryable, ...extra });
};
