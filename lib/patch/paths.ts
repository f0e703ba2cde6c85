import { lstatSync, realpathSync, type Stats } from "node:fs";
import { safeText } from "../safe-text.ts";
import { fileKey, IGNORABLE } from "../schema/change-paths.ts";
import { fail } from "./codes.ts";

// C0, DEL and C1 controls: invisible in listings, and a newline would forge log lines.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const FORBIDDEN = new Set([".git", "git~1", ".hyperion", "hyperi~1"]);
// Bidi embeddings, overrides, isolates and marks: a name that displays as another name.
const BIDI = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;
// Deeper paths are not written by people; they exhaust tools that walk them.
const MAX_DEPTH = 32;
const WINDOWS_RESERVED = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])(\..*)?$/i;

const invalid = (path: string, why: string, hint?: string) =>
  fail("E_PATH_INVALID", `path '${printable(path)}' ${why}`, { hint, details: { path } });

/** A path quoted for a one-line message (lib/safe-text: escapes shown escaped, look-alikes as code points). */
export const printable = (s: string): string => safeText(s, { path: true, max: 200 });

/**
 * Lexical checks of a repository-relative path as an author wrote it. Refuses rather than
 * normalises, so the path that is checked is the path that is written.
 */
export const checkPath = (path: string): string => {
  if (path.length === 0) throw invalid(path, "is empty");
  if (!path.isWellFormed()) throw invalid(path, "holds a lone UTF-16 surrogate (not valid Unicode)");
  if (CONTROL.test(path)) throw invalid(path, "holds NUL or a control character");
  if (BIDI.test(path))
    throw invalid(path, "holds a bidi control character (it displays as another name)", "rename it");
  if (path.includes("\\")) throw invalid(path, "holds a backslash", "separate directories with '/'");
  if (path.startsWith("/")) {
    throw fail("E_PATH_OUTSIDE_REPO", `path '${printable(path)}' is absolute`, {
      hint: "give paths relative to the repository root",
      details: { path },
    });
  }
  if (/^[A-Za-z]:/.test(path)) {
    throw fail("E_PATH_OUTSIDE_REPO", `path '${printable(path)}' names a drive`, { details: { path } });
  }
  if (path.normalize("NFC") !== path) throw invalid(path, "is not in Unicode NFC", "write the path in NFC");
  if (path.includes(":")) throw invalid(path, "holds ':' (a drive or an NTFS stream)");
  for (const part of path.split("/")) {
    if (part === "..") {
      throw fail("E_PATH_OUTSIDE_REPO", `path '${printable(path)}' climbs with '..'`, { details: { path } });
    }
    if (part === "" || part === ".")
      throw invalid(path, "has an empty or '.' component", "write it normalised");
    if (Buffer.byteLength(part) > 255) throw invalid(path, "has a component longer than 255 bytes");
    const folded = part
      .replace(IGNORABLE, "")
      .replace(/[. ]+$/, "")
      .toLowerCase();
    if (FORBIDDEN.has(folded)) {
      throw fail(
        "E_PATH_FORBIDDEN",
        `path '${printable(path)}' is inside ${folded.startsWith(".g") || folded.startsWith("g") ? ".git/" : ".hyperion/"}`,
        {
          hint: "changes may not touch repository metadata or Hyperion's own state",
          details: { path },
        },
      );
    }
    if (WINDOWS_RESERVED.test(part)) throw invalid(path, `uses the reserved device name '${part}'`);
    // Windows drops them, so 'a.' and 'a' would be one file there.
    if (/[. ]$/.test(part))
      throw invalid(path, `has a component ending in a dot or a space ('${printable(part)}')`, "rename it");
  }
  if (path.split("/").length > MAX_DEPTH)
    throw invalid(path, `is deeper than ${MAX_DEPTH} directories`, "use a shallower path");
  return path;
};

/** The one key for "same file" (lib/schema/change-paths.ts), here for apply's groups. */
export { fileKey };

/** Refuses two entries that name one file, by case, or as a file and a directory above another. */
export const checkCollisions = (paths: readonly string[]): void => {
  const seen = new Map<string, string>();
  for (const p of paths) {
    const key = fileKey(p);
    const other = seen.get(key);
    if (other !== undefined) {
      throw fail(
        "E_PATH_COLLISION",
        other === p
          ? `path '${printable(p)}' is changed twice in one request`
          : `paths '${printable(other)}' and '${printable(p)}' name the same file on a case-insensitive file system`,
        { hint: "put every edit of a file into one change", details: { paths: [other, p] } },
      );
    }
    seen.set(key, p);
  }
  for (const p of paths) {
    const parts = fileKey(p).split("/");
    for (let i = 1; i < parts.length; i++) {
      const dir = seen.get(parts.slice(0, i).join("/"));
      if (dir !== undefined) {
        throw fail(
          "E_PATH_COLLISION",
          `'${printable(dir)}' is a file in this request and a directory of '${printable(p)}'`,
          {
            details: { paths: [dir, p] },
          },
        );
      }
    }
  }
};

export type Resolved = {
  /** The repository-relative path as given. */
  rel: string;
  /** The real directory that holds the file, or the deepest existing one when `missing` > 0. */
  dir: string;
  /** Directory components below `dir` that do not exist yet (created on write). */
  missing: string[];
  /** The file's name in its directory. */
  name: string;
  /** `lstat` of the file, undefined when absent. */
  st: Stats | undefined;
};

const inside = (root: string, real: string) => real === root || real.startsWith(`${root}/`);

/** Options of resolveInRepo for the apply path. */
export type ResolveOptions = {
  /** Real directories by repository-relative prefix, shared within one batch (existing dirs only). */
  cache?: Map<string, string>;
  /** lstat the file itself too (default); the apply path instead reads it with O_NOFOLLOW. */
  checkFile?: boolean;
};

/**
 * Resolves a checked path under the repository's real root, following symlinks at every directory
 * level and refusing any that lead outside, and refusing a final component that is not a regular
 * file. Called at enqueue and again at apply, since a directory may have been swapped for a
 * symlink in between.
 */
export const resolveInRepo = (root: string, rel: string, opts: ResolveOptions = {}): Resolved => {
  const parts = rel.split("/");
  const name = parts.pop()!;
  let dir = root;
  let prefix = "";
  for (let i = 0; i < parts.length; i++) {
    prefix = i === 0 ? parts[0]! : `${prefix}/${parts[i]}`;
    const known = opts.cache?.get(prefix);
    if (known !== undefined) {
      dir = known;
      continue;
    }
    const next = `${dir}/${parts[i]}`;
    const st = lstatSync(next, { throwIfNoEntry: false });
    if (st === undefined) return { rel, dir, missing: parts.slice(i), name, st: undefined };
    if (st.isSymbolicLink()) {
      let real: string;
      try {
        real = realpathSync(next);
      } catch {
        throw fail("E_PATH_OUTSIDE_REPO", `'${printable(rel)}' goes through a dangling symlink`, {
          details: { path: rel },
        });
      }
      if (!inside(root, real)) {
        throw fail(
          "E_PATH_OUTSIDE_REPO",
          `'${printable(rel)}' goes through a symlink that leads outside the repository`,
          { details: { path: rel, via: prefix } },
        );
      }
      if (!lstatSync(real).isDirectory()) {
        throw fail("E_OP_MISMATCH", `'${printable(prefix)}' is not a directory`, { details: { path: rel } });
      }
      dir = real;
    } else if (st.isDirectory()) {
      dir = next;
    } else {
      throw fail("E_OP_MISMATCH", `'${printable(prefix)}' is a file, not a directory`, {
        details: { path: rel },
      });
    }
    opts.cache?.set(prefix, dir);
  }
  if (opts.checkFile === false) return { rel, dir, missing: [], name, st: undefined };
  const st = lstatSync(`${dir}/${name}`, { throwIfNoEntry: false });
  if (st !== undefined && !st.isFile()) {
    throw fail(
      "E_NOT_A_FILE",
      `'${printable(rel)}' is a ${st.isSymbolicLink() ? "symbolic link" : st.isDirectory() ? "directory" : "special file"}`,
      { hint: "Hyperion changes regular files only", details: { path: rel } },
    );
  }
  return { rel, dir, missing: [], name, st };
};

/** The repository root with symlinks resolved; every containment check compares against it. */
export const realRoot = (repo: string): string => {
  try {
    return realpathSync(repo);
  } catch (cause) {
    throw fail("E_IO", `repository ${repo} is not readable: ${String(cause)}`, { cause });
  }
};

/** Re-checks, just before a rename, that a directory still resolves to where it did. */
export const sameDir = (dir: string, checked?: Map<string, boolean>): boolean => {
  const known = checked?.get(dir);
  if (known !== undefined) return known;
  let ok: boolean;
  try {
    ok = realpathSync(dir) === dir;
  } catch {
    ok = false;
  }
  checked?.set(dir, ok);
  return ok;
};
