import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { makeFileChange } from "../../lib/patch/index.ts";
import type { ChangeRequest } from "../../lib/schema/index.ts";

/** File i's starting content: `lines` numbered lines. */
export const original = (i: number, lines: number) =>
  `${Array.from({ length: lines }, (_, l) => `file ${i} line ${l}`).join("\n")}\n`;

/** Content after `k` edits to file i: each edit rewrites one line, so stacked edits depend on order. */
export const edited = (i: number, lines: number, k: number) => {
  const out = original(i, lines).split("\n");
  for (let e = 1; e <= k; e++) out[(e * 7) % lines] = `file ${i} line ${(e * 7) % lines} edit ${e}`;
  return out.join("\n");
};

export const fileName = (i: number) => `src/m${Math.floor(i / 50)}/f${i}.txt`;

/** Writes `files` files of `lines` lines each into repo. */
export const writeTree = (repo: string, files: number, lines: number) => {
  for (let i = 0; i < files; i++) {
    const path = join(repo, fileName(i));
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, original(i, lines));
  }
};

/**
 * `changes` change requests over `files` files, stacked: the k-th change to a file is made
 * against the content the (k-1)-th leaves, so the tree ends right only in queue order.
 */
export const stackedChanges = (files: number, lines: number, changes: number): ChangeRequest[] => {
  const edits = new Array<number>(files).fill(0);
  return Array.from({ length: changes }, (_, n) => {
    const i = n % files;
    const k = ++edits[i]!;
    return {
      id: `cr-${n}`,
      task_id: `adhoc-${n}`,
      agent: "test",
      summary: `edit ${k} of ${fileName(i)}`,
      changes: [makeFileChange(fileName(i), edited(i, lines, k - 1), edited(i, lines, k))],
    };
  });
};

/** How many edits change n leaves on each file, for checking the final tree. */
export const editsPerFile = (files: number, changes: number) =>
  Array.from({ length: files }, (_, i) => Math.floor(changes / files) + (i < changes % files ? 1 : 0));
