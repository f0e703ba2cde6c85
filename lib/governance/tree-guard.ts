import { createHash } from "node:crypto";
import { chmodSync, lstatSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { isGitRepo, readBlob, trackedFiles } from "./git.ts";

type Seen = { size: number; mtimeMs: number; ino: number; mode: number } | null;
type Before = { seen: Seen; content?: Buffer; blob?: string };

const look = (abs: string): Seen => {
  try {
    const st = lstatSync(abs);
    return st.isFile() ? { size: st.size, mtimeMs: st.mtimeMs, ino: st.ino, mode: st.mode & 0o777 } : null;
  } catch {
    return null;
  }
};

const same = (a: Seen, b: Seen) =>
  a === b ||
  (!!a && !!b && a.size === b.size && a.mtimeMs === b.mtimeMs && a.ino === b.ino && a.mode === b.mode);

const gitBlobId = (bytes: Buffer) =>
  createHash("sha1").update(`blob ${bytes.length}\0`).update(bytes).digest("hex");

/**
 * What validation commands may not change: the change's own paths, and in a git repository
 * every tracked file. Taken before the commands run; `changed` lists what differs after (by
 * content: a file only touched is unchanged), `restore` puts those files back as they were.
 * Contents are kept for the change's paths and tracked files with uncommitted edits; a clean
 * tracked file comes back from its blob in git's object store.
 */
export const guardTree = (repo: string, changePaths: string[]) => {
  const before = new Map<string, Before>();
  if (isGitRepo(repo)) {
    const { blobs, dirty } = trackedFiles(repo);
    for (const [path, blob] of blobs) {
      const seen = look(join(repo, path));
      if (!seen) continue; // deleted in the working copy already: not ours to guard
      before.set(path, dirty.has(path) ? { seen, content: readFileSync(join(repo, path)) } : { seen, blob });
    }
  }
  for (const path of changePaths) {
    const seen = look(join(repo, path));
    before.set(path, { seen, ...(seen ? { content: readFileSync(join(repo, path)) } : {}) });
  }

  const changed = (): string[] => {
    const out: string[] = [];
    for (const [path, b] of before) {
      const now = look(join(repo, path));
      if (same(now, b.seen)) continue;
      if (!now || !b.seen) {
        out.push(path);
        continue;
      }
      const bytes = readFileSync(join(repo, path));
      const differs = b.content ? !bytes.equals(b.content) : gitBlobId(bytes) !== b.blob;
      if (differs || now.mode !== b.seen.mode) out.push(path);
    }
    return out.sort();
  };

  /** Puts `paths` (from `changed`) back; returns those it could not (a blob git no longer has). */
  const restore = (paths: string[]): string[] => {
    const failed: string[] = [];
    for (const path of paths) {
      const b = before.get(path)!;
      const abs = join(repo, path);
      if (!b.seen) {
        rmSync(abs, { force: true, recursive: true });
        continue;
      }
      const bytes = b.content ?? (b.blob ? readBlob(repo, b.blob) : null);
      if (!bytes) {
        failed.push(path);
        continue;
      }
      rmSync(abs, { force: true, recursive: true }); // a directory or link put in its place
      const tmp = `${abs}.hyperion-restore`;
      writeFileSync(tmp, bytes);
      chmodSync(tmp, b.seen.mode);
      renameSync(tmp, abs);
    }
    return failed;
  };

  return { changed, restore };
};
