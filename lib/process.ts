import { readFileSync } from "node:fs";

/** What /proc/PID/stat says of a process: its state letter and start time (clock ticks since boot). */
const procStat = (pid: number): { state: string; start: string } | null | undefined => {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    // No such process where /proc exists; undefined where there is no /proc to ask.
    return code === "ENOENT" || code === "ESRCH" ? (HAS_PROC ? null : undefined) : undefined;
  }
  // The name (field 2) may hold spaces and parentheses: fields are counted after the last ')'.
  const rest = text.slice(text.lastIndexOf(")") + 2).split(" ");
  return { state: rest[0] ?? "?", start: rest[19] ?? "" };
};

const HAS_PROC = (() => {
  try {
    readFileSync("/proc/self/stat");
    return true;
  } catch {
    return false;
  }
})();

/** This process's start time as /proc records it, or null where there is no /proc. */
export const SELF_START: string | null = HAS_PROC ? (procStat(process.pid)?.start ?? null) : null;

/**
 * Whether process `pid` on this host is running. A zombie (exited, not yet reaped) is not, and
 * with `start` (SELF_START of the process as it was recorded) a different process that reuses
 * the pid is not either. Where there is no /proc, kill(pid, 0) decides (it cannot see either).
 */
export const processAlive = (pid: number, start?: string | null): boolean => {
  const stat = procStat(pid);
  if (stat === null) return false;
  if (stat !== undefined) {
    if (stat.state === "Z" || stat.state === "X" || stat.state === "x") return false;
    return !start || start === stat.start;
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code !== "ESRCH";
  }
};
