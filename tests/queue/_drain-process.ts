// One process of the drain test: two worker threads (one leasing singly, one in batches),
// then prints their reports as one JSON line.
import { join } from "node:path";
import type { DrainReport } from "./_drain.worker.ts";

const [path, dir, name] = process.argv.slice(2);
const run = (worker: string, batch: number) =>
  new Promise<DrainReport>((resolve, reject) => {
    const w = new Worker(join(import.meta.dir, "_drain.worker.ts"));
    w.onmessage = (e) => {
      resolve(e.data);
      w.terminate();
    };
    w.onerror = (e) => reject(e);
    w.postMessage({ path, dir, name: `${name}-${worker}`, batch });
  });
const reports = await Promise.all([run("single", 1), run("batch", 8)]);
process.stdout.write(`${JSON.stringify(reports)}\n`);
