import { EXIT, type ExitCode } from "./exit.ts";

/** What an error code means, whether trying again may help, and the exit code it ends a command with. */
export type CodeInfo = { meaning: string; retryable: boolean; exitCode: ExitCode };

/**
 * Every error code Hyperion can report, declared once. Codes are stable: logs, dead letters and
 * scripts match on them. docs/ERRORS.md is rendered from this table (`bun run docs:errors`) and a
 * test keeps the two in step; HyperionError takes only these codes.
 */
export const CODES = {
  E_USAGE: {
    meaning: "an unknown command or flag, a missing argument, or a flag value out of range",
    retryable: false,
    exitCode: EXIT.usage,
  },
  E_INPUT: {
    meaning: "an input file or standard input cannot be used (missing, a terminal, empty)",
    retryable: false,
    exitCode: EXIT.usage,
  },
  E_JSON: {
    meaning: "the input is not valid JSON; the error names the line and column",
    retryable: false,
    exitCode: EXIT.usage,
  },
  E_UNKNOWN_SCHEMA: {
    meaning: "`hyperion schema` was given a name it does not know",
    retryable: false,
    exitCode: EXIT.usage,
  },
  E_SINCE: {
    meaning: "`--since` is neither a duration (10m, 2h, 7d) nor an ISO-8601 time",
    retryable: false,
    exitCode: EXIT.usage,
  },
  E_LIMIT: {
    meaning: "a count flag (`--limit`, `--batch`) is not a positive whole number",
    retryable: false,
    exitCode: EXIT.usage,
  },
  E_DURATION: {
    meaning: "a duration flag (`--older-than`, `--window`) is not a duration such as 10m, 2h or 7d",
    retryable: false,
    exitCode: EXIT.usage,
  },
  E_FILTER: {
    meaning: "a listing filter has a value it does not accept",
    retryable: false,
    exitCode: EXIT.usage,
  },
  E_INTERNAL: {
    meaning: "an unexpected failure inside Hyperion; rerun with HYPERION_LOG=1 for details",
    retryable: false,
    exitCode: EXIT.failure,
  },
  E_NOT_A_TTY: {
    meaning: "`hyperion tui` was started without a terminal on stdout or stdin",
    retryable: false,
    exitCode: EXIT.usage,
  },
  E_CONFIG: {
    meaning: ".hyperion/config.json does not match the Config schema; the field is named",
    retryable: false,
    exitCode: EXIT.usage,
  },
  E_NOT_INITIALIZED: {
    meaning: "no .hyperion/ in the directory or any directory above it",
    retryable: false,
    exitCode: EXIT.usage,
  },
  E_INIT_NESTED: {
    meaning: "`init` inside a repository that is initialised already",
    retryable: false,
    exitCode: EXIT.usage,
  },
  E_REPO_NOT_FOUND: {
    meaning: "the `--repo` directory does not exist",
    retryable: false,
    exitCode: EXIT.usage,
  },
  E_REPO_NOT_DIR: {
    meaning: "the `--repo` path is not a directory",
    retryable: false,
    exitCode: EXIT.usage,
  },
  E_REPO_UNWRITABLE: {
    meaning: "the repository directory, or .hyperion/ in it, cannot be written",
    retryable: false,
    exitCode: EXIT.failure,
  },
  E_SECRET_INVALID: {
    meaning: "the signing key file does not hold a hex key",
    retryable: false,
    exitCode: EXIT.failure,
  },
  E_SECRET_UNSAFE: {
    meaning: "others can read the signing key file; fix its mode to 0600",
    retryable: false,
    exitCode: EXIT.failure,
  },
  E_DB_OPEN: {
    meaning: "the database file cannot be opened",
    retryable: false,
    exitCode: EXIT.failure,
  },
  E_DB_CORRUPT: {
    meaning: "the database file has damaged pages (integrity check failed)",
    retryable: false,
    exitCode: EXIT.failure,
  },
  E_DB_NEWER: {
    meaning: "the database was migrated by a newer Hyperion; it is left untouched",
    retryable: false,
    exitCode: EXIT.failure,
  },
  E_DB_WAL: {
    meaning: "the database cannot use WAL journaling (a network or read-only file system)",
    retryable: false,
    exitCode: EXIT.failure,
  },
  E_DB_ROW: {
    meaning: "a row read back from the database does not match its schema (edited outside Hyperion)",
    retryable: false,
    exitCode: EXIT.failure,
  },
  E_QUEUE_ORDER: {
    meaning: "the database refused a change re-entering the line ahead of others (an invariant; report it)",
    retryable: false,
    exitCode: EXIT.failure,
  },
  E_BACKUP: {
    meaning: "a backup could not be written, or its copy failed integrity_check; nothing was kept",
    retryable: false,
    exitCode: EXIT.failure,
  },
  E_BACKUP_EXISTS: {
    meaning: "the backup file named exists already; backups never overwrite",
    retryable: false,
    exitCode: EXIT.usage,
  },
  E_BACKUP_INVALID: {
    meaning: "the file given is not a backup written by `hyperion backup`",
    retryable: false,
    exitCode: EXIT.usage,
  },
  E_REPLAY: {
    meaning:
      "replay stopped: a payload does not verify, or the tree does not hold what the next change expects",
    retryable: false,
    exitCode: EXIT.failure,
  },
  E_REPLAYED: {
    meaning: "this payload of this change was applied once already; a re-inserted row never applies again",
    retryable: false,
    exitCode: EXIT.failure,
  },
  E_APPROVAL_STALE: {
    meaning: "a person approved another payload than the one stored now; it is refused, never applied",
    retryable: false,
    exitCode: EXIT.needsPerson,
  },
  E_PLAN_UNSAFE: {
    meaning: "WORKPLAN.md is a symlink, not a regular file, or not UTF-8",
    retryable: false,
    exitCode: EXIT.usage,
  },
  E_PLAN_TOO_LARGE: {
    meaning: "WORKPLAN.md is larger than a plan may be (1 MiB)",
    retryable: false,
    exitCode: EXIT.usage,
  },
  E_INPUT_TOO_LARGE: {
    meaning: "the input is larger than the input limit (24 MiB); refused while it streamed in",
    retryable: false,
    exitCode: EXIT.usage,
  },
  E_INPUT_TIMEOUT: {
    meaning: "the input did not end within the time allowed (a stdin nobody closes)",
    retryable: false,
    exitCode: EXIT.usage,
  },
  E_INPUT_ENCODING: {
    meaning: "the input is not valid UTF-8",
    retryable: false,
    exitCode: EXIT.usage,
  },
  E_TASK_CLOSED: {
    meaning: "the task the change names is finished or cancelled; it takes no new changes",
    retryable: false,
    exitCode: EXIT.usage,
  },
  E_TASK_CAP: {
    meaning: "the task has as many open changes as limits.max_open_changes_per_task allows",
    retryable: false,
    exitCode: EXIT.usage,
  },
  E_DB_READONLY: {
    meaning: "the database or .hyperion/ cannot be written; reads still work",
    retryable: false,
    exitCode: EXIT.failure,
  },
  E_DB_FULL: {
    meaning: "the disk is full; the transaction rolled back whole",
    retryable: true,
    exitCode: EXIT.failure,
  },
  E_DB_GONE: {
    meaning: "the open database file was deleted or replaced at its path; nothing more is written to it",
    retryable: false,
    exitCode: EXIT.failure,
  },
  E_DB_LINKED: {
    meaning:
      "the database file has more than one hard link, so writes through another name could lose commits",
    retryable: false,
    exitCode: EXIT.failure,
  },
  E_APPLY_FAILED: {
    meaning: "applying the change threw an unexpected error; what it wrote was undone, it fails alone",
    retryable: true,
    exitCode: EXIT.failure,
  },
  E_PRE_IMAGE_CORRUPT: {
    meaning: "a recorded pre-image does not match its recorded hash; rollback refused, nothing written",
    retryable: false,
    exitCode: EXIT.failure,
  },
  E_VALIDATION_DIRTY: {
    meaning:
      "a validation command changed tracked files or the change's paths; they were restored and the change rolled back",
    retryable: false,
    exitCode: EXIT.failure,
  },
  E_SANDBOX_UNAVAILABLE: {
    meaning: "agents.sandbox is required and bubblewrap cannot start here; the hint is the install step",
    retryable: false,
    exitCode: EXIT.failure,
  },
  E_SANDBOX_PATH: {
    meaning: "something the sandbox would show an agent is, or contains, the repository",
    retryable: false,
    exitCode: EXIT.usage,
  },
  E_AGENT_OUT_OF_BAND_WRITE: {
    meaning:
      "the live tree changed during an agent turn (or the agent wrote to the repository's path in the sandbox); nothing was enqueued",
    retryable: false,
    exitCode: EXIT.failure,
  },
  E_SESSION_TOKEN: {
    meaning: "a session or thread id is not in the CLI's own form",
    retryable: false,
    exitCode: EXIT.usage,
  },
  E_STATE_DIR: {
    meaning: "no state directory outside the repository for its key and agents",
    retryable: false,
    exitCode: EXIT.usage,
  },
  E_BUSY: {
    meaning: "the database stayed locked by another writer longer than the configured wait",
    retryable: true,
    exitCode: EXIT.failure,
  },
  E_ARCHIVED: {
    meaning: "the change was moved to an archive file; the message names the file and when",
    retryable: false,
    exitCode: EXIT.usage,
  },
  E_NOT_FOUND: {
    meaning: "no change, request or dead letter has that id",
    retryable: false,
    exitCode: EXIT.usage,
  },
  E_DUPLICATE_ID: {
    meaning: "a change request reuses an id that is already in the queue",
    retryable: false,
    exitCode: EXIT.usage,
  },
  E_BAD_STATUS: {
    meaning: "the change is not in a status that allows this action (approve a queued change...)",
    retryable: false,
    exitCode: EXIT.usage,
  },
  E_NOT_DEAD: {
    meaning: "`retry` of a change that is not a dead letter",
    retryable: false,
    exitCode: EXIT.usage,
  },
  E_LEASE_LOST: {
    meaning:
      "the worker no longer holds the change's lease (it stalled past it, or another took it); it writes nothing more",
    retryable: true,
    exitCode: EXIT.failure,
  },
  E_LEASE_EXPIRED: {
    meaning: "a change whose lease expired after its last attempt became a dead letter",
    retryable: false,
    exitCode: EXIT.failure,
  },
  E_ATTEMPTS_EXHAUSTED: {
    meaning: "a change failed `max_attempts` times and became a dead letter",
    retryable: false,
    exitCode: EXIT.failure,
  },
  E_DEPENDENCY: {
    meaning:
      "a change stacked on another (its base is that change's result) failed at once: that change was rejected, dead or rolled back",
    retryable: false,
    exitCode: EXIT.failure,
  },
  E_BEHIND_FAILED: {
    meaning:
      "a change was not attempted because one before it on one of its paths, applied in the same batch, failed; it goes back in line without spending an attempt",
    retryable: true,
    exitCode: EXIT.failure,
  },
  E_WORKER: {
    meaning: "a worker thread failed outside any one change",
    retryable: false,
    exitCode: EXIT.failure,
  },
  E_VALIDATION: {
    meaning: "a validation command failed after apply; the change was rolled back",
    retryable: false,
    exitCode: EXIT.failure,
  },
  E_COMMAND_NOT_ALLOWED: {
    meaning: "a command the plan does not enumerate, or one the runner cannot run safely",
    retryable: false,
    exitCode: EXIT.usage,
  },
  E_PLAN_MISSING: {
    meaning: "no WORKPLAN.md at the path given",
    retryable: false,
    exitCode: EXIT.usage,
  },
  E_PLAN_INVALID: {
    meaning: "the WORKPLAN.md breaks its own rules (sections, approval, commands)",
    retryable: false,
    exitCode: EXIT.usage,
  },
  E_PLAN_PATTERN: {
    meaning: "the plan's approval pattern is not a usable regular expression",
    retryable: false,
    exitCode: EXIT.usage,
  },
  E_PLAN_NOT_APPROVED: {
    meaning: "a WORKPLAN.md is present but a person has not approved its current text",
    retryable: false,
    exitCode: EXIT.needsPerson,
  },
  E_GIT: {
    meaning: "a git command failed in git mode",
    retryable: false,
    exitCode: EXIT.failure,
  },
  E_REQUEST_EXISTS: {
    meaning: "a task request reuses an id that is already recorded",
    retryable: false,
    exitCode: EXIT.usage,
  },
  E_REQUEST_NOT_FOUND: {
    meaning: "no task request has that id",
    retryable: false,
    exitCode: EXIT.usage,
  },
  E_REQUEST_STATE: {
    meaning: "the request is not in a state that allows this (answering a request with no questions)",
    retryable: false,
    exitCode: EXIT.usage,
  },
  E_ANSWER_UNKNOWN: {
    meaning: "an answer names no open question",
    retryable: false,
    exitCode: EXIT.usage,
  },
  E_TASK_TOO_LARGE: {
    meaning: "a task's files do not fit the model's context window",
    retryable: false,
    exitCode: EXIT.usage,
  },
  E_EDIT_EXISTS: {
    meaning: "an agent's create names a file that exists",
    retryable: false,
    exitCode: EXIT.failure,
  },
  E_EDIT_MISSING: {
    meaning: "an agent's modify, delete or rename names a file that does not exist",
    retryable: false,
    exitCode: EXIT.failure,
  },
  E_EDIT_FIND: {
    meaning: "an agent's find/replace text is not in the file",
    retryable: false,
    exitCode: EXIT.failure,
  },
  E_EDIT_INVALID: {
    meaning: "an agent's edit is not one Hyperion can make (a rename onto itself...)",
    retryable: false,
    exitCode: EXIT.failure,
  },
  E_AGENT_UNKNOWN: {
    meaning: "no agent harness has that name",
    retryable: false,
    exitCode: EXIT.usage,
  },
  E_AGENT_MISSING: {
    meaning: "the agent's CLI is not installed or not on PATH",
    retryable: false,
    exitCode: EXIT.failure,
  },
  E_AGENT_AUTH: {
    meaning: "the agent's CLI is not logged in, or its credential was refused",
    retryable: false,
    exitCode: EXIT.failure,
  },
  E_AGENT_EXIT: {
    meaning: "the agent's CLI exited non-zero",
    retryable: false,
    exitCode: EXIT.failure,
  },
  E_AGENT_FAILED: {
    meaning: "the agent's CLI reported an error in its output",
    retryable: false,
    exitCode: EXIT.failure,
  },
  E_AGENT_TIMEOUT: {
    meaning: "an agent turn passed its deadline; its processes were killed",
    retryable: false,
    exitCode: EXIT.failure,
  },
  E_AGENT_OUTPUT: {
    meaning: "an agent's output does not match its JSON contract",
    retryable: false,
    exitCode: EXIT.failure,
  },
  E_AGENT_DENIED: {
    meaning: "the agent's tools were refused, so the turn could not do its work",
    retryable: false,
    exitCode: EXIT.failure,
  },
  E_AGENT_NO_PROGRESS: {
    meaning: "a developer turn changed nothing and every tool call it made failed",
    retryable: false,
    exitCode: EXIT.failure,
  },
  E_AGENT_SESSION: {
    meaning: "the agent's private home does not hold the session to resume",
    retryable: false,
    exitCode: EXIT.failure,
  },
  E_SESSION_NAME: {
    meaning: "a session name with characters that are not allowed",
    retryable: false,
    exitCode: EXIT.usage,
  },
  E_SESSION_EXISTS: {
    meaning: "a stored session with that name exists already",
    retryable: false,
    exitCode: EXIT.usage,
  },
  E_SESSION_NOT_FOUND: {
    meaning: "no stored session has that name",
    retryable: false,
    exitCode: EXIT.usage,
  },
  E_SESSION_AGENT: {
    meaning: "the stored session belongs to another agent than the one asked for",
    retryable: false,
    exitCode: EXIT.usage,
  },
  E_EXPORT_EXISTS: {
    meaning: "the export folder holds bundle files with other content; pass --overwrite",
    retryable: false,
    exitCode: EXIT.usage,
  },
  E_EXPORT_DECLINED: {
    meaning: "the operator declined to overwrite the export bundle",
    retryable: false,
    exitCode: EXIT.failure,
  },
  E_EXPORT_CONFLICT: {
    meaning: "a bundle path in the export folder is not a readable file",
    retryable: false,
    exitCode: EXIT.usage,
  },
  E_EXPORT_NOT_DIR: {
    meaning: "the export path is not a directory",
    retryable: false,
    exitCode: EXIT.usage,
  },
  E_DEMO_DIR: {
    meaning: "`demo --dir` names a folder that is not empty",
    retryable: false,
    exitCode: EXIT.usage,
  },
  E_DEMO_NO_TESTAPP: {
    meaning: "`demo --testapp` names a folder without the demo request",
    retryable: false,
    exitCode: EXIT.usage,
  },
  E_DEMO_STEP: {
    meaning: "a step of the demo failed; the copy is kept",
    retryable: false,
    exitCode: EXIT.failure,
  },
  // Reasons a change request is refused or fails to apply (lib/patch).
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
  E_AMBIGUOUS: {
    meaning: "a stale patch's hunks fit at several places and there is no recorded base to merge from",
    retryable: false,
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
    meaning: "the change was already applied: its id from another payload, or its result already in the file",
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
  E_IO: {
    meaning: "the file system failed (permissions, disk full...); nothing was changed",
    retryable: true,
    exitCode: EXIT.failure,
  },
} as const satisfies Record<string, CodeInfo>;

export type Code = keyof typeof CODES;

export const isCode = (code: string): code is Code => Object.hasOwn(CODES, code);

/** A code read back from a row or a message; an unknown one is reported as E_INTERNAL, never dropped. */
export const asCode = (code: string): Code => (isCode(code) ? code : "E_INTERNAL");

/** The registry as Markdown: docs/ERRORS.md. */
export const renderCodesDoc = (): string => {
  const rows = Object.entries(CODES)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([code, c]) => `| \`${code}\` | ${c.exitCode} | ${c.retryable ? "yes" : "no"} | ${c.meaning} |`);
  return [
    "# Error codes",
    "",
    "Every error Hyperion reports is one line on stderr, `hyperion: E_CODE: what is wrong (how to fix it)`,",
    "and ends the command with the exit code below (docs/CLI.md, Exit codes). Retryable failures of a",
    "queued change go back to the queue with backoff; the others become dead letters at once.",
    "Rendered from `lib/codes.ts` by `bun run docs:errors`; a test keeps this page and the code in step.",
    "",
    "| code | exit | retryable | meaning |",
    "| ---- | ---- | --------- | ------- |",
    ...rows,
    "",
  ].join("\n");
};
