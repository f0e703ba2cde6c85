/// <reference lib="webworker" />
// A pool thread that, the first time its slot starts, leases two changes through the real
// queue, applies the first for real and dies before completing either: `exit` (process.exit ends
// only this thread), or `throw` (it reports an error and stops, as apply.worker.ts does when its
// loop throws), as <m>/mode says. Started again, it is the real worker (apply.worker.ts).
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { applyChange } from "../../lib/patch/index.ts";
import { createQueue, ownerId } from "../../lib/queue/index.ts";
import { openRepo, readSecret } from "../../lib/store/index.ts";

declare const self: Worker;

self.onmessage = async (event: MessageEvent) => {
  const msg = event.data;
  const marks = join(dirname(msg.repo), "m");
  if (msg.type === "start" && !existsSync(join(marks, `died-${msg.worker}`))) {
    writeFileSync(join(marks, `died-${msg.worker}`), "");
    const repo = openRepo({ repo: msg.repo, db: msg.db });
    const secret = readSecret(repo.loc);
    const queue = createQueue(repo.db, { secret, config: repo.config.queue });
    const [first, second] = queue.leaseBatch(ownerId(msg.worker), 2);
    writeFileSync(join(marks, "leased"), JSON.stringify([first!.id, second!.id]));
    applyChange({
      repo: msg.repo,
      db: repo.db,
      secret,
      change: { id: first!.id, payload: first!.payload, signature: first!.signature },
    });
    if (readFileSync(join(marks, "mode"), "utf8") === "exit") process.exit(1);
    self.postMessage({ type: "error", worker: msg.worker, code: "E_INTERNAL", message: "injected fault" });
    self.postMessage({
      type: "stopped",
      worker: msg.worker,
      write_lock: { holds: 0, held_ms: 0, wait_ms: 0 },
    });
    return;
  }
  self.onmessage = null;
  await import("../../lib/runtime/apply.worker.ts");
  (self.onmessage as unknown as (e: MessageEvent) => void)(event);
};
