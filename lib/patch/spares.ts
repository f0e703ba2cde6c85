import {
  closeSync,
  constants,
  fchmodSync,
  fstatSync,
  ftruncateSync,
  linkSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  renameSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { threadId } from "node:worker_threads";
import { unlinkQuiet } from "./files.ts";

const EUID = process.geteuid?.() ?? -1;

/** Removes a spare; one that cannot be removed stays in `.hyperion/spares/`, outside the tree. */
const discard = (spare: string) => {
  try {
    unlinkSync(spare);
  } catch {
    // gone already, or not ours to remove
  }
};

/** Spares one pool keeps at most: a long-lived worker's pool stays bounded however many files it deletes. */
const MAX_SPARES = 1_024;

/** Where spares live: inside the repository's own directory, on the tree's file system. */
const sparesDir = (root: string) => `${root}/.hyperion/spares`;

/** What the journal asks of spares; `Spares.none` keeps nothing. */
export type SparePool = Pick<Spares, "keepReplaced" | "keepDeleted" | "writeTemp" | "drop">;

/**
 * The inodes of files an apply replaces or deletes, kept to be written again as later temp files.
 * Renaming a temp over a file frees the old inode and creating the temp allocates one: on ext4
 * these are most of an apply's cost, and with `discard` every freed file waits for the device.
 * So a replaced file is hard-linked into `.hyperion/spares/` before the rename (which then frees
 * nothing) and a deleted regular file is moved there; a later temp is written into one and
 * renamed into place, appearing complete. Spares are outside the tree and named for their
 * process and thread, so recovery removes those of a process that died (`dropStaleSpares`).
 * The cost: a process that still holds a replaced file open reads the content written into its
 * inode later, where a plain rename would leave it the old content (`limits.reuse_inodes`).
 */
export class Spares {
  /** Spares that keep nothing: files are replaced and deleted as they are (no reuse). */
  static readonly none = {
    keepReplaced: (_target: string) => {},
    keepDeleted: (target: string) => unlinkQuiet(target),
    writeTemp: (_tmp: string, _bytes: Uint8Array, _mode: number) => false,
    drop: () => {},
  };

  private readonly free: string[] = [];
  private readonly dir: string;
  private readonly prefix: string;
  private made = false;
  private count = 0;

  constructor(root: string, owner: string) {
    this.dir = sparesDir(root);
    this.prefix = `${owner}:${threadId}:`;
  }

  /** Keeps the file at `target` as a rename replaces it. */
  keepReplaced(target: string): void {
    if (this.free.length >= MAX_SPARES) return; // enough kept: the rename frees it
    let keep: string;
    try {
      keep = this.name();
      linkSync(target, keep);
    } catch {
      return; // no spares directory or no hard links here: the rename frees it, as it would anyway
    }
    this.free.push(keep);
  }

  /** Deletes `target`, keeping its inode when it is a regular file. */
  keepDeleted(target: string): void {
    if (this.free.length >= MAX_SPARES) {
      unlinkQuiet(target);
      return;
    }
    let keep: string;
    try {
      // Anything else (a directory swapped in since the plan, say) is unlinked as before: refused.
      if (!lstatSync(target).isFile()) throw new Error("not a regular file");
      keep = this.name();
      renameSync(target, keep);
    } catch {
      unlinkQuiet(target); // gone, no spares directory, another file system: delete it as it is
      return;
    }
    this.free.push(keep);
  }

  /**
   * Writes `bytes` with `mode` into a spare and renames it to `tmp`; false when no spare is fit to
   * reuse. Only a regular file with one link, owned by this user, is rewritten: a file linked
   * elsewhere must not change, and a temp file's owner is ours.
   */
  writeTemp(tmp: string, bytes: Uint8Array, mode: number): boolean {
    for (let spare = this.free.pop(); spare; spare = this.free.pop()) {
      try {
        const fd = openSync(spare, constants.O_WRONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
        try {
          const st = fstatSync(fd);
          if (!st.isFile() || st.nlink !== 1 || st.uid !== EUID) throw new Error("not reusable");
          fchmodSync(fd, mode);
          let off = 0;
          while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off, off);
          ftruncateSync(fd, bytes.length);
        } finally {
          closeSync(fd);
        }
        renameSync(spare, tmp);
        return true;
      } catch {
        discard(spare);
      }
    }
    return false;
  }

  /** Removes every spare left. */
  drop(): void {
    for (const spare of this.free.splice(0)) discard(spare);
  }

  private name(): string {
    if (!this.made) {
      mkdirSync(this.dir, { recursive: true });
      this.made = true;
    }
    return `${this.dir}/${this.prefix}${this.count++}`;
  }
}

/** Removes the spares that processes for which `alive` says no left behind (they crashed). */
export const dropStaleSpares = (root: string, alive: (owner: string) => boolean): void => {
  let names: string[];
  try {
    names = readdirSync(sparesDir(root));
  } catch {
    return; // none yet
  }
  for (const name of names) {
    const owner = name.split(":").slice(0, -2).join(":");
    if (!alive(owner)) discard(`${sparesDir(root)}/${name}`);
  }
};
