import { hostname } from "node:os";

const HOST = hostname();

/** A lease owner id, `${hostname}:${pid}:${worker}`, so a dead local owner can be recognised. */
export const ownerId = (worker: string, pid: number = process.pid): string => `${HOST}:${pid}:${worker}`;

/** Host, pid and worker of an owner id; null when it is not in ownerId's form. */
export const parseOwner = (owner: string): { host: string; pid: number; worker: string } | null => {
  const m = /^(.*):(\d+):(.*)$/.exec(owner);
  if (!m || m[1] === undefined || m[2] === undefined || m[3] === undefined) return null;
  return { host: m[1], pid: Number(m[2]), worker: m[3] };
};

/**
 * True only when the owner is a process on this host that no longer exists. A process on
 * another host cannot be checked: its lease waits for expiry.
 */
export const ownerGone = (owner: string | null): boolean => {
  if (!owner) return false;
  const o = parseOwner(owner);
  if (!o || o.host !== HOST || o.pid === process.pid) return false;
  try {
    process.kill(o.pid, 0);
    return false;
  } catch (e) {
    // EPERM: it exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === "ESRCH";
  }
};
