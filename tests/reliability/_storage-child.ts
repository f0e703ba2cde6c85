// Child process for the storage tests. Roles:
//   enqueue <repo> <n> <tag>  submits n changes (one per call, as `hyperion enqueue` does); prints "ok <n>" or the error code
//   hold <db> <ms>            holds the write lock (BEGIN IMMEDIATE) for ms (or until killed with "forever"); prints "locked"
import { Database } from "bun:sqlite";
import { HyperionError } from "../../lib/errors.ts";
import { makeFileChange } from "../../lib/patch/index.ts";
import { createQueue } from "../../lib/queue/index.ts";
import { submitChanges } from "../../lib/runtime/index.ts";
import { openRepo, readSecret } from "../../lib/store/index.ts";

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
} else if (role === "hold") {
  const db = new Database(target!);
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
