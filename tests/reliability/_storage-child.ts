// Child process for the storage tests. Roles:
//   enqueue <repo> <n> <tag>  submits n changes (one per call, as `hyperion enqueue` does); prints "ok <n>" or the error code
//   fill <dir>                on a small filesystem: enqueues until the disk is full; prints what it saw as JSON
//   hold <db> <ms>            holds the write lock (BEGIN IMMEDIATE) for ms (or until killed with "forever"); prints "locked"
import { Database } from "bun:sqlite";
import { HyperionError } from "../../lib/errors.ts";
import { makeFileChange } from "../../lib/patch/index.ts";
import { createQueue } from "../../lib/queue/index.ts";
import { submitChanges } from "../../lib/runtime/index.ts";
import { openDatabase, openRepo, readSecret } from "../../lib/store/index.ts";

const [role, target, arg, tag] = process.argv.slice(2);

if (role === "enqueue") {
  const repo = openRepo({ repo: target });
  const queue = createQueue(repo.db, { secret: readSecret(repo.loc), config: repo.config.queue });
  const n = Number(arg);
  try {
    for (let i = 0; i < n; i++) {
      const change = makeFileChange(`${tag}/f${i}.txt`, null, `${tag} ${i}\n`);
      const { enqueued, rejected } = submitChanges(repo, queue, [
        { task_id: `${tag}-${i}`, changes: [change] },
      ]);
      if (enqueued.length !== 1) throw new Error(`rejected: ${JSON.stringify(rejected)}`);
    }
    process.stdout.write(`ok ${n}\n`);
  } catch (e) {
    process.stdout.write(`${e instanceof HyperionError ? e.code : String(e)}\n`);
    process.exit(1);
  }
} else if (role === "fill") {
  const path = `${target}/hyperion.db`;
  const db = openDatabase(path, { create: true });
  const queue = createQueue(db, { secret: new Uint8Array(32).fill(7) });
  const filler = "x".repeat(20_000);
  let acked = 0;
  let code = "none";
  for (let i = 0; i < 10_000; i++) {
    try {
      queue.enqueue({
        task_id: `t${i}`,
        summary: filler,
        changes: [makeFileChange(`f${i}.txt`, null, "x\n")],
      });
      acked++;
    } catch (e) {
      code = e instanceof HyperionError ? e.code : String(e);
      break;
    }
  }
  db.close();
  const again = openDatabase(path);
  const stored = (again.query("SELECT count(*) AS n FROM change_queue").get() as { n: number }).n;
  const check = (again.query("PRAGMA quick_check").get() as { quick_check: string }).quick_check;
  process.stdout.write(`${JSON.stringify({ code, acked, stored, check })}\n`);
} else if (role === "hold") {
  const db = new Database(target!);
  db.run("PRAGMA busy_timeout = 10000"); // a writer may be mid-transaction: take the lock after it
  db.run("BEGIN IMMEDIATE");
  db.run("CREATE TABLE IF NOT EXISTS held (x)");
  process.stdout.write("locked\n");
  if (arg === "forever") setInterval(() => {}, 1_000);
  else
    setTimeout(() => {
      db.run("COMMIT");
      db.close();
    }, Number(arg));
}
