import { defineCommand } from "citty";
import { metricsRecord, parseDuration, renderMetrics } from "../lib/ops/index.ts";
import { createQueue } from "../lib/queue/index.ts";
import { openRepo, readSecret } from "../lib/store/index.ts";
import { formatArg, repoArgs } from "./_args.ts";
import { out, outJson } from "./_io.ts";
import { cli } from "./_main.ts";

const command = defineCommand({
  meta: {
    name: "queue-metrics",
    description: "Queue depth, throughput, latencies, contention and workers over a recent window",
  },
  args: {
    ...repoArgs,
    window: {
      type: "string",
      description: "How far back throughput and latencies look (default 5m)",
      valueHint: "5m",
    },
    format: formatArg(["table", "json"], "table"),
  },
  run({ args }) {
    const windowMs = parseDuration("window", args.window ?? "5m");
    using repo = openRepo({ repo: args.repo, db: args.db });
    const queue = createQueue(repo.db, { secret: readSecret(repo.loc), config: repo.config.queue });
    const m = metricsRecord(queue.metrics({ windowMs }));
    if (args.format === "json") outJson(m);
    else out(`${renderMetrics(m)}`);
  },
});

export default command;

if (import.meta.main) await cli(command);
