import { posix } from "node:path";
import type { ChangeRequest } from "../schema/index.ts";

/**
 * One spelling per file, so `src/a.ts`, `./src/a.ts` and `src//a.ts` hold the same path in
 * change_paths. Whether a path is safe is lib/patch's business, not this one.
 */
export const pathKey = (path: string): string => {
  const n = posix.normalize(path.replaceAll("\\", "/"));
  return n.replace(/^(\.\/)+/, "").replace(/\/+$/, "") || ".";
};

/** Every path a change request touches: each change's path and a rename's new path. */
export const requestPaths = (cr: ChangeRequest): string[] => {
  const out = new Set<string>();
  for (const c of cr.changes) {
    out.add(pathKey(c.path));
    if (c.new_path !== undefined) out.add(pathKey(c.new_path));
  }
  return [...out];
};
