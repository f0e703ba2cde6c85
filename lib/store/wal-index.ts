import { closeSync, openSync, readSync, statSync } from "node:fs";

/**
 * What the WAL index (`-shm`) says the WAL holds, read from its header without opening the
 * database (the first connection to open it rebuilds the index from the WAL and so would hide a
 * lost WAL). Layout: sqlite.org/walformat.html, section 2.1 (native byte order: little-endian here).
 */
export type WalIndex = {
  /** Frames the WAL holds that readers may see. */
  mxFrame: number;
  /** Of those, frames already copied into the database file. */
  nBackfill: number;
  pageSize: number;
};

export const readWalIndex = (dbPath: string): WalIndex | null => {
  const shm = `${dbPath}-shm`;
  let fd: number;
  try {
    fd = openSync(shm, "r");
  } catch {
    return null;
  }
  try {
    const buf = Buffer.alloc(136);
    if (readSync(fd, buf, 0, 136, 0) < 136) return null;
    if (buf.readUInt8(12) !== 1) return null; // isInit: the index was never built
    const size = buf.readUInt16LE(14);
    return {
      mxFrame: buf.readUInt32LE(16),
      nBackfill: buf.readUInt32LE(96),
      pageSize: size === 1 ? 65536 : size,
    };
  } finally {
    closeSync(fd);
  }
};

/**
 * Committed frames the index counts that are neither in the database file nor in the WAL: the
 * WAL was deleted or cut short after a crash (0 when nothing is missing or nothing can tell).
 */
export const lostWalFrames = (dbPath: string): number => {
  const idx = readWalIndex(dbPath);
  if (!idx || idx.mxFrame <= idx.nBackfill) return 0;
  const walBytes = statSync(`${dbPath}-wal`, { throwIfNoEntry: false })?.size ?? 0;
  const held = walBytes > 32 ? Math.floor((walBytes - 32) / (idx.pageSize + 24)) : 0;
  return held >= idx.mxFrame ? 0 : idx.mxFrame - Math.max(held, idx.nBackfill);
};

/** True when the database file's header marks it WAL (read and write versions 2, bytes 18-19). */
export const headerSaysWal = (dbPath: string): boolean => {
  let fd: number;
  try {
    fd = openSync(dbPath, "r");
  } catch {
    return false;
  }
  try {
    const buf = Buffer.alloc(20);
    return readSync(fd, buf, 0, 20, 0) === 20 && buf[18] === 2 && buf[19] === 2;
  } finally {
    closeSync(fd);
  }
};
