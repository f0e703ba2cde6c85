import { randomBytes } from "node:crypto";
import {
  closeSync,
  constants,
  fchmodSync,
  fstatSync,
  mkdirSync,
  openSync,
  readSync,
  renameSync,
  rmdirSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { fail } from "./codes.ts";
import { sha256Hex } from "./hash.ts";
import { printable, type Resolved, resolveInRepo } from "./paths.ts";

/** A regular file as read: bytes, permission bits and hash; `held` when an earlier change of the same group left it (in memory). */
export type FileState = { bytes: Buffer; mode: number; sha: string; held?: true };

const errno = (e: unknown) => (e as NodeJS.ErrnoException).code;

export const ioError = (what: string, path: string, cause: unknown) =>
  fail("E_IO", `cannot ${what} '${printable(path)}': ${errno(cause) ?? String(cause)}`, {
    details: { path },
    cause,
  });

/**
 * Reads a file without following a symlink in its last component (O_NOFOLLOW); the directories
 * above were resolved by resolveInRepo. Null when absent.
 */
export const readAt = (abs: string, rel: string, maxBytes: number): FileState | null => {
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO planted at the path must not hang the worker.
    fd = openSync(abs, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (e) {
    if (errno(e) === "ENOENT") return null;
    if (errno(e) === "ELOOP")
      throw fail("E_NOT_A_FILE", `'${printable(rel)}' is a symbolic link`, { details: { path: rel } });
    throw ioError("read", rel, e);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile())
      throw fail("E_NOT_A_FILE", `'${printable(rel)}' is not a regular file`, { details: { path: rel } });
    if (st.size > maxBytes) {
      throw fail(
        "E_TOO_LARGE",
        `'${printable(rel)}' is ${st.size} bytes, over the ${maxBytes}-byte file limit`,
        {
          hint: "raise limits.max_file_bytes in .hyperion/config.json",
          details: { path: rel, size: st.size },
        },
      );
    }
    const bytes = Buffer.allocUnsafe(st.size);
    let off = 0;
    while (off < bytes.length) {
      const n = readSync(fd, bytes, off, bytes.length - off, off);
      if (n === 0) break;
      off += n;
    }
    const out = off === bytes.length ? bytes : bytes.subarray(0, off);
    return { bytes: out, mode: Number(st.mode) & 0o7777, sha: sha256Hex(out) };
  } finally {
    closeSync(fd);
  }
};

/** Reads the file a resolved path names (null when it or a directory above is absent). */
export const readResolved = (r: Resolved, maxBytes: number): FileState | null =>
  r.missing.length > 0 ? null : readAt(`${r.dir}/${r.name}`, r.rel, maxBytes);

/** Resolves and reads in one step. */
export const readInRepo = (root: string, rel: string, maxBytes: number): FileState | null =>
  readResolved(resolveInRepo(root, rel), maxBytes);

/** A fresh temp-file name; dot-prefixed so tools skip it, random so it never collides. */
export const tmpName = (): string => `.hyperion-tmp-${randomBytes(8).toString("hex")}`;

// Read once: process.umask() with no argument is the only way to read it, and it does not change.
const UMASK = process.umask();

/** Writes a new file exclusively (never through a symlink), with exactly `mode`. */
export const writeNew = (abs: string, bytes: Uint8Array, mode: number): void => {
  const fd = openSync(
    abs,
    constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
    mode,
  );
  try {
    let off = 0;
    while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
    if ((mode & UMASK) !== 0) fchmodSync(fd, mode); // the umask narrowed the mode given to open
  } finally {
    closeSync(fd);
  }
};

/**
 * Creates the missing directories below `dir`, returning the absolute paths made. Those in `seen`
 * (made or found by an earlier call of the same write) are not tried again; each is added to it.
 */
export const makeDirs = (dir: string, missing: readonly string[], seen = new Set<string>()): string[] => {
  const made: string[] = [];
  let cur = dir;
  for (const part of missing) {
    cur = `${cur}/${part}`;
    if (seen.has(cur)) continue;
    seen.add(cur);
    try {
      mkdirSync(cur, 0o755);
      made.push(cur);
    } catch (e) {
      if (errno(e) !== "EEXIST") throw e;
    }
  }
  return made;
};

/** Removes directories that are empty, deepest first; others are left alone. */
export const removeEmptyDirs = (dirs: readonly string[]): void => {
  for (const d of [...dirs].reverse()) {
    try {
      rmdirSync(d);
    } catch {
      // not empty, or gone already: either way it is not ours to remove
    }
  }
};

/**
 * Removes `dir` and the directories above it that a delete or a rename's departure emptied, as
 * git does, up to but never including `root`; stops at the first one that holds anything.
 */
export const removeEmptiedDirs = (root: string, dir: string): void => {
  for (let d = dir; d.startsWith(`${root}/`); d = d.slice(0, d.lastIndexOf("/"))) {
    try {
      rmdirSync(d);
    } catch {
      return; // not empty (or gone): nothing above it is empty either
    }
  }
};

export const rename = (from: string, to: string): void => renameSync(from, to);

/** Unlinks a file; absent is fine. */
export const unlinkQuiet = (abs: string): void => {
  try {
    unlinkSync(abs);
  } catch (e) {
    if (errno(e) !== "ENOENT") throw e;
  }
};
