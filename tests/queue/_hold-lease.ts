// Child process for the reclaim tests: leases one change, prints it, then obeys stdin lines
// (complete, fail, heartbeat) until told to exit, killed or stopped.
import { createQueue, ownerId } from "../../lib/queue/index.ts";
import { openDatabase } from "../../lib/store/index.ts";
import { SECRET } from "./_fixture.ts";

const [path, worker, leaseMs, host] = process.argv.slice(2);
const db = openDatabase(path!);
const queue = createQueue(db, { secret: SECRET });
const owner = host ? `${host}:${process.pid}:${worker}` : ownerId(worker!);
const l = queue.lease(owner, { leaseMs: Number(leaseMs) });
const say = (o: object) => process.stdout.write(`${JSON.stringify(o)}\n`);
say(l ? { id: l.id, token: l.token, owner, pid: process.pid } : { id: null });

const attempt = (fn: () => unknown) => {
  try {
    say({ ok: fn() ?? true });
  } catch (e) {
    say({ code: (e as { code?: string }).code ?? String(e) });
  }
};
for await (const line of console) {
  if (!l) break;
  if (line === "complete") attempt(() => queue.complete(l.id, l.token));
  else if (line === "fail")
    attempt(() => queue.fail(l.id, l.token, { code: "E_X", message: "x", retryable: true }));
  else if (line === "heartbeat") attempt(() => queue.heartbeat(l.id, l.token, 60_000));
  else if (line === "exit") break;
}
db.close();
