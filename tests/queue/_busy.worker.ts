// Worker for the busy test: leases on a connection that never waits inside SQLite, so every
// lock conflict reaches the queue's own retry loop; reports each retry through shared memory.
import { createQueue } from "../../lib/queue/index.ts";
import { openDatabase } from "../../lib/store/index.ts";
import { SECRET } from "./_fixture.ts";

declare const self: Worker;

self.onmessage = (e: MessageEvent<{ path: string; retries: Int32Array }>) => {
  const { path, retries } = e.data;
  const db = openDatabase(path, { busyTimeoutMs: 0 });
  const queue = createQueue(db, {
    secret: SECRET,
    onBusy: (n) => {
      Atomics.store(retries, 0, n);
      Atomics.notify(retries, 0);
    },
  });
  const lease = queue.lease("busy-worker");
  db.close();
  self.postMessage({ lease });
};
