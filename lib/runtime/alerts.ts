import { runnable } from "../governance/argv.ts";
import { runArgv } from "../governance/runner.ts";
import { log } from "../log.ts";
import type { Repo } from "../store/index.ts";
import { runtimeSql } from "../store/runtime-sql.ts";

/**
 * The operator's `alerts.command`, once per dead letter, with the event as JSON on stdin. The
 * command is the operator's own (config is trusted), so it is not looked up in the plan; it still
 * runs like every command Hyperion starts (runArgv: no shell, a scrubbed environment, a timeout).
 * Each dead letter is claimed in the database before its alert runs, so two processes never both
 * send it; an alert whose command fails is logged, not sent again.
 */
export const createAlerts = (repo: Repo) => {
  const sql = runtimeSql(repo.db);
  const command = repo.config.alerts.command;
  const line = command === null ? null : runnable(command);
  if (line && !line.ok) log.warn(`alerts.command is not runnable (${line.why}); no alert is sent`);
  let chain: Promise<void> = Promise.resolve();

  const sendAll = async () => {
    if (command === null || !line?.ok) return;
    for (const dead of sql.claimAlerts(Date.now())) {
      const event = {
        event: "dead_letter",
        repo: repo.loc.repo,
        ...dead,
        dead_at: new Date(dead.dead_at).toISOString(),
      };
      const r = await runArgv(
        command,
        line.argv,
        { repo: repo.loc.repo, governance: repo.config.governance },
        `${JSON.stringify(event)}\n`,
      );
      if (r.exit_code !== 0) {
        log.warn(
          `alert for ${dead.change_id}: ${command} ${r.timed_out ? "timed out" : `exited ${r.exit_code}`}: ${r.stderr.trim().split("\n").at(-1) ?? ""}`,
        );
      }
    }
  };

  return {
    /** Sends what is due, after whatever is already being sent. */
    kick(): void {
      chain = chain.then(sendAll).catch((e) => log.warn(`alerts: ${(e as Error).message}`));
    },
    /** Resolves once every alert asked for so far went out. */
    settled: (): Promise<void> => chain,
  };
};
