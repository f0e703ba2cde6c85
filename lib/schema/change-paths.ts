import { posix } from "node:path";
import type { ChangeRequest } from "./change-request.ts";

/** Code points HFS+ and NTFS drop from names, so ".g\u200cit" would open .git there. */
export const IGNORABLE = /[\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff]/g;

/**
 * The file a path names wherever the repository may be checked out: two paths with one key may be
 * one file. Spelling (`\`, `./`, `//`, `x/..`, a trailing `/`), then what a case-insensitive,
 * normalising file system ignores (APFS, HFS+, NTFS): Unicode normalisation (NFC), case
 * (full case folding: `ß` and `SS` meet), and code points HFS+ drops. Folding more than one file
 * system does only makes two changes wait for each other; folding less would let two writers
 * meet on one file. The queue's line and apply's collision checks both use this key.
 */
export const fileKey = (path: string): string => {
  const n = posix.normalize(path.replaceAll("\\", "/"));
  const spelled = n.replace(/^(\.\/)+/, "").replace(/\/+$/, "") || ".";
  return spelled.replace(IGNORABLE, "").normalize("NFC").toUpperCase().toLowerCase().normalize("NFC");
};

/** One path a change request touches: as the change spelled it (shown), and its file key (compared). */
export type KeyedPath = { path: string; key: string };

/**
 * Every file a change request touches, once each: each change's path and a rename's new path,
 * spelled as the first entry naming that file spelled it.
 */
export const requestPaths = (cr: ChangeRequest): KeyedPath[] => {
  const out = new Map<string, KeyedPath>();
  const add = (path: string) => {
    const key = fileKey(path);
    if (!out.has(key)) out.set(key, { path, key });
  };
  for (const c of cr.changes) {
    add(c.path);
    if (c.new_path !== undefined) add(c.new_path);
  }
  return [...out.values()];
};
