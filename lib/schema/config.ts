import { z } from "zod";
import { AgentsConfig, OrchestratorConfig } from "./agents-config.ts";
import { RiskConfig } from "./risk-config.ts";

const MiB = 1024 * 1024;

const QueueConfig = z.strictObject({
  max_attempts: z
    .number()
    .int()
    .min(1)
    .max(100)
    .default(5)
    .describe("Attempts before a change becomes a dead letter."),
  lease_ms: z
    .number()
    .int()
    .min(1_000)
    .default(30_000)
    .describe("How long a lease lasts without a heartbeat."),
  backoff_base_ms: z
    .number()
    .int()
    .min(0)
    .default(500)
    .describe("First retry delay; doubles per attempt, with jitter."),
  backoff_max_ms: z.number().int().min(0).default(60_000).describe("Longest retry delay."),
  archive_after_ms: z
    .number()
    .int()
    .min(0)
    .default(7 * 24 * 3_600_000)
    .describe("Finished changes older than this move to .hyperion/archive/."),
  archive_batch: z
    .number()
    .int()
    .min(1)
    .max(100_000)
    .default(500)
    .describe("Rows moved per archive transaction."),
  reclaim_interval_ms: z
    .number()
    .int()
    .min(0)
    .default(1_000)
    .describe("How often leasing also returns leases held by processes on this host that have exited."),
  busy_give_up_ms: z
    .number()
    .int()
    .min(0)
    .default(30_000)
    .describe("How long a queue operation retries a locked database before E_BUSY; the change is untouched."),
});

const LimitsConfig = z.strictObject({
  max_patch_bytes: z
    .number()
    .int()
    .min(1)
    .default(8 * MiB)
    .describe("Largest patch for one file."),
  max_change_bytes: z
    .number()
    .int()
    .min(1)
    .default(64 * MiB)
    .describe("Largest change request, all patches together."),
  max_files: z.number().int().min(1).default(1_000).describe("Most files in one change request."),
  max_open_changes_per_task: z
    .number()
    .int()
    .min(1)
    .default(1_000)
    .describe(
      "Most changes of one task that may be open (queued, leased or held) at once, so one task cannot crowd out the rest.",
    ),
  max_file_bytes: z
    .number()
    .int()
    .min(1)
    .default(64 * MiB)
    .describe("Largest file Hyperion reads or writes when applying a change."),
  rebase_fuzz: z
    .number()
    .int()
    .min(0)
    .max(3)
    .default(1)
    .describe("Context lines that may differ when a stale patch is relocated by offset and fuzz."),
  reuse_inodes: z
    .boolean()
    .default(true)
    .describe(
      "Write temp files into the inodes of files replaced earlier in the same batch (much faster on ext4). Turn off when other processes keep files of the tree open and must go on reading the old content.",
    ),
});

const GovernanceConfig = z.strictObject({
  env: z
    .array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/))
    .default([])
    .describe("Extra environment variables validation commands receive, beside PATH, HOME and LANG."),
  command_timeout_ms: z
    .number()
    .int()
    .min(1_000)
    .default(600_000)
    .describe("A validation command is killed after this."),
  output_limit_bytes: z
    .number()
    .int()
    .min(1_024)
    .default(256 * 1024)
    .describe("Output kept per command stream (head and tail)."),
});

const GitConfig = z.strictObject({
  commit: z
    .boolean()
    .default(false)
    .describe(
      "In a git repository, commit each applied change (with Hyperion-Task/Hyperion-Change trailers).",
    ),
});

const ValidationConfig = z.strictObject({
  batch: z
    .strictObject({
      max: z
        .number()
        .int()
        .min(1)
        .max(256)
        .default(8)
        .describe(
          "Changes a worker applies before running the plan's validation once for all of them; a failing batch is bisected to the changes that break it (1: each change alone; 8 measured best, docs/PERFORMANCE.md#batch).",
        ),
      wait_ms: z
        .number()
        .int()
        .min(0)
        .max(60_000)
        .default(0)
        .describe(
          "How long a worker waits for more ready changes to fill a batch before validating what it has.",
        ),
    })
    .prefault({}),
});

const AlertsConfig = z.strictObject({
  command: z
    .string()
    .nullable()
    .default(null)
    .describe(
      "Run once per dead letter with the event as JSON on stdin (no shell: one program and its arguments, through the command runner).",
    ),
});

const BackupConfig = z.strictObject({
  dir: z
    .string()
    .nullable()
    .default(null)
    .describe(
      "Folder of `hyperion backup --to-dir` (relative to the repository, or absolute); `doctor` reports the newest backup's age.",
    ),
  keep: z
    .number()
    .int()
    .min(1)
    .max(10_000)
    .default(7)
    .describe("Backups `--to-dir` keeps; older ones are removed."),
  max_age_ms: z
    .number()
    .int()
    .min(60_000)
    .default(24 * 3_600_000)
    .describe("`doctor` warns when the newest backup in `dir` is older than this."),
});

export const Config = z
  .strictObject({
    workers: z
      .number()
      .int()
      .min(1)
      .max(64)
      .default(2)
      .describe(
        "Worker threads for `hyperion run` and `worker` (2: the pool size measured fastest here, docs/PERFORMANCE.md#run).",
      ),
    queue: QueueConfig.prefault({}),
    limits: LimitsConfig.prefault({}),
    orchestrator: OrchestratorConfig.prefault({}),
    agents: AgentsConfig.prefault({}),
    governance: GovernanceConfig.prefault({}),
    risk: RiskConfig.prefault({}),
    git: GitConfig.prefault({}),
    backup: BackupConfig.prefault({}),
    alerts: AlertsConfig.prefault({}),
    validation: ValidationConfig.prefault({}),
  })
  .meta({
    title: "Config",
    description: "`.hyperion/config.json`: the operator's settings for one repository.",
  });
export type Config = z.infer<typeof Config>;

export const defaultConfig = (): Config => Config.parse({});
