// Child process of the queue benchmark: holds N queued rows, leases and completes 1,000 of
// them, and prints its peak RSS (MiB), so each system's memory is measured on its own.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { makeChanges, openSystem, type SystemName } from "./queue-systems.ts";

const [system, n, dir] = process.argv.slice(2) as [SystemName, string, string];
const s = openSystem(system, join(dir, `rss-${system}-${n}.db`));
const crs = makeChanges(Number(n));
for (let i = 0; i < crs.length; i += 1_000) s.enqueueMany(crs.slice(i, i + 1_000));
for (let i = 0; i < 1_000; i++) s.cycle();
s.close();
// VmHWM, not getrusage: ru_maxrss survives exec on Linux and would report the parent's peak.
const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync("/proc/self/status", "utf8"))?.[1];
process.stdout.write(`${hwm ? (Number(hwm) / 1024).toFixed(1) : "n/a"}\n`);
