import { linkCount } from "../../store/db-file.ts";
import { writable } from "../../store/open.ts";
import { lostWalFrames } from "../../store/wal-index.ts";
import { type Check, ok, problem } from "./types.ts";

/**
 * Run before the database is opened: the first connection rebuilds the WAL index from the WAL,
 * which would hide a WAL deleted after a crash.
 */
export const checkWalPresent = (path: string): Check => {
  const lost = lostWalFrames(path);
  if (lost === 0) return ok("wal_present", "the WAL holds every frame its index counts");
  return problem(
    "warn",
    "wal_present",
    `the WAL is missing or cut short: ${lost} committed ${lost === 1 ? "frame" : "frames"} its index counts are gone (deleted after a crash?)`,
    "if a copy of hyperion.db-wal exists, put it back before any hyperion command opens the database; otherwise the last commits are lost",
    false,
    { lost_frames: lost },
  );
};

/** Each name of one database file gets its own WAL: two processes on two names lose commits. */
export const checkLinks = (path: string): Check => {
  const links = linkCount(path);
  if (links <= 1) return ok("links", "the database file has one name");
  return problem(
    "warn",
    "links",
    `the database file has ${links} hard links: writes through another name would not see these (commits lost); hyperion refuses to write (E_DB_LINKED)`,
    `keep one name: find the others with \`find / -xdev -samefile ${path}\` and remove them`,
    false,
    { links },
  );
};

/** A database that cannot be written still reads; said plainly, never as damage. */
export const checkWritable = (path: string): Check => {
  if (writable(path)) return ok("writable", "the database file and its directory are writable");
  return problem(
    "warn",
    "writable",
    "the database file or its directory is read-only: list, logs and summary work; enqueue, run and approve stop with E_DB_READONLY",
    "make .hyperion/ and hyperion.db writable (a read-only mount, `chattr +i`?)",
  );
};
