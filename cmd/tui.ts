import { appendFileSync } from "node:fs";
import { userInfo } from "node:os";
import { basename, join } from "node:path";
import { createCliRenderer } from "@opentui/core";
import { defineCommand } from "citty";
import { usageError } from "../lib/errors.ts";
import { logTo } from "../lib/log.ts";
import { parseSeconds } from "../lib/ops/index.ts";
import { mountDashboard, REFRESH_STEPS_MS } from "../lib/tui/index.ts";
import { repoArgs } from "./_args.ts";
import { io } from "./_io.ts";
import { cli } from "./_main.ts";
import { openQueue } from "./_queue.ts";

const command = defineCommand({
  meta: { name: "tui", description: "Live dashboard of the queue: watch, approve, reject and retry" },
  args: {
    ...repoArgs,
    refresh: {
      type: "string",
      description: "Seconds between polls of the database, 0.25 to 10 (default 1; + and - change it live)",
      valueHint: "SECONDS",
    },
  },
  async run({ args }) {
    // Read here, not at load: in the compiled binary this module may load before lib/tui has run.
    const [FASTEST, SLOWEST] = [REFRESH_STEPS_MS[0], REFRESH_STEPS_MS.at(-1)!];
    const refreshMs = parseSeconds("refresh", args.refresh, 1);
    if (refreshMs < FASTEST || refreshMs > SLOWEST)
      throw usageError(
        "E_LIMIT",
        `--refresh '${args.refresh}' is outside ${FASTEST / 1000} to ${SLOWEST / 1000} seconds`,
        "pass e.g. --refresh 1",
      );
    // Without a terminal on both ends the dashboard would draw blind and read no keys.
    const { stdout, stdin } = io();
    if (!stdout.isTTY || !stdin.isTTY)
      throw usageError(
        "E_NOT_A_TTY",
        `hyperion tui needs a terminal, but its ${stdout.isTTY ? "stdin" : "stdout"} is not one`,
        "run it in a terminal; scripts use `hyperion list`, `history` and `queue-metrics`",
      );
    using q = openQueue({ repo: args.repo, db: args.db });
    // Tracing on stderr would scroll the dashboard away: it goes to a file with HYPERION_LOG=1, else nowhere.
    const logFile = join(q.repo.loc.dir, "tui.log");
    const restoreLog =
      process.env.HYPERION_LOG === "1"
        ? logTo((t) => appendFileSync(logFile, t), true)
        : logTo(() => {}, false);
    try {
      const renderer = await createCliRenderer({
        exitOnCtrlC: false,
        useMouse: true,
        openConsoleOnError: false,
        targetFps: 30,
      });
      const destroyed = new Promise<void>((done) => renderer.once("destroy", () => done()));
      mountDashboard(renderer, {
        db: q.repo.db,
        queue: q.queue,
        label: basename(q.repo.loc.repo),
        actor: userInfo().username,
        refreshMs,
      });
      await destroyed;
      await renderer.closed;
    } finally {
      restoreLog();
    }
  },
});

export default command;

if (import.meta.main) await cli(command);
