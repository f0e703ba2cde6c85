// The soak's producer, its own process: enqueues the changes given in a JSON file in small
// batches, retrying a batch the database refused for being busy (nothing of it was stored),
// and prints how many it stored.
import { readFileSync } from "node:fs";
import { createQueue } from "../../lib/queue/index.ts";
import type { ChangeRequest } from "../../lib/schema/index.ts";
import { openRepo, readSecret } from "../../lib/store/index.ts";

const [root, file, size] = process.argv.slice(2);
const crs = JSON.parse(readFileSync(file!, "utf8")) as ChangeRequest[];
const repo = openRepo({ repo: root! });
const queue = createQueue(repo.db, { secret: readSecret(repo.loc), config: repo.config.queue });
let stored = 0;
for (let i = 0; i < crs.length; i += Number(size)) {
  const batch = crs.slice(i, i + Number(size));
  for (let tries = 0; ; tries++) {
    try {
      stored += queue.enqueue(batch).length;
      break;
    } catch (e) {
      const code = (e as { code?: string }).code ?? "";
      const busy = code === "E_BUSY" || code.startsWith("SQLITE_BUSY") || /locked/.test(String(e));
      if (!busy || tries > 50) throw e;
      await Bun.sleep(20);
    }
  }
  await Bun.sleep(5);
}
repo[Symbol.dispose]();
process.stdout.write(`${JSON.stringify({ stored })}\n`);
