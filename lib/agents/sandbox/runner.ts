import type { ChildRun } from "../harness/spawn.ts";

/**
 * One agent process as a runner starts it. The workspace goes in (a directory the process may
 * change), the transcript comes out (exit, stdout, stderr); Hyperion reads the diff from the
 * workspace afterwards, whatever ran it. A container runner (podman or docker with the same
 * mounts) fits the same shape: every path below is mounted at the same place inside.
 */
export type AgentJob = {
  /** argv[0] is the resolved executable. */
  argv: string[];
  /** The turn's scratch copy: the working directory, read-write. */
  workspace: string;
  /** The session's private HOME, read-write. */
  home: string;
  /** Read-write across sessions of one repository (what a CLI unpacks once). */
  cache: string;
  /** Shown read-only: the CLI's install, its interpreter, `agents.<cli>.read_paths`. */
  readOnly: readonly string[];
  /** Shown read-write beside the workspace: `agents.<cli>.write_paths`. */
  writable: readonly string[];
  /**
   * Paths kept out of sight (the live repository) where a write would tell: an empty host
   * directory is mounted at each `at`, and whatever is found in `dir` afterwards was an attempt.
   * A runner that shows nothing at those paths anyway may ignore them.
   */
  decoys: readonly { at: string; dir: string }[];
  /** The host's network (a model endpoint); false: no network at all, not even the host's loopback. */
  network: boolean;
  env: Record<string, string>;
  /**
   * The CLI starts its own bubblewrap inside (codex): as root the job then runs as an unprivileged
   * uid in its own user namespace, since root without capabilities may not map uid 0 again.
   */
  nests?: boolean;
  /** Aborted at the turn's deadline: the runner kills everything the job started. */
  signal: AbortSignal;
};

/** Runs agent jobs: bubblewrap on this machine, or nothing around them (`agents.sandbox: off`). */
export type AgentRunner = {
  /** `bubblewrap` or `none`; shown in logs and by `doctor`. */
  readonly name: string;
  /** Starts the job and waits for it; rejects on abort (after killing its process group). */
  run: (job: AgentJob) => Promise<ChildRun>;
};
