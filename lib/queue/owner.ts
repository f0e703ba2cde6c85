import { hostname } from "node:os";
import { processAlive, SELF_START } from "../process.ts";

const HOST = hostname();

/**
 * A lease owner id, `${hostname}:${pid}/${start}:${worker}` (start: the process's start time
 * from /proc, when there is one), so a dead local owner can be recognised, even when its pid has
 * been reused. Ids of the older form `${hostname}:${pid}:${worker}` are still read.
 */
export const ownerId = (worker: string, pid: number = process.pid): string =>
  `${HOST}:${pid}${pid === process.pid && SELF_START ? `/${SELF_START}` : ""}:${worker}`;

/** Host, pid, start time (null when not recorded) and worker of an owner id; null when it is not in ownerId's form. */
export const parseOwner = (
  owner: string,
): { host: string; pid: number; start: string | null; worker: string } | null => {
  const m = /^(.*):(\d+)(?:\/(\d+))?:(.*)$/.exec(owner);
  if (!m || m[1] === undefined || m[2] === undefined || m[4] === undefined) return null;
  return { host: m[1], pid: Number(m[2]), start: m[3] ?? null, worker: m[4] };
};

/**
 * True only when the owner is a process on this host that no longer runs: exited, a zombie
 * (kill(pid, 0) would call it alive), or a pid now reused by a process that started later. A
 * process on another host cannot be checked: its lease waits for expiry.
 */
export const ownerGone = (owner: string | null): boolean => {
  if (!owner) return false;
  const o = parseOwner(owner);
  if (!o || o.host !== HOST || o.pid === process.pid) return false;
  return !processAlive(o.pid, o.start);
};
