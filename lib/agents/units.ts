import type { Edit } from "../schema/index.ts";
import { editPaths } from "./edits.ts";

/** Union-find over strings: the few lines every grouping step here needs. */
export const unionFind = () => {
  const parent = new Map<string, string>();
  const find = (x: string): string => {
    let root = parent.get(x) ?? x;
    if (root !== x) root = find(root);
    parent.set(x, root);
    return root;
  };
  return {
    find,
    union: (a: string, b: string) => {
      const ra = find(a);
      const rb = find(b);
      if (ra !== rb) parent.set(rb, ra);
    },
  };
};

/**
 * Paths that must stay in one task: both ends of a rename (and chains of them). Every other
 * path is a unit of its own. Units keep the order in which their paths first appear.
 */
export const renameUnits = (paths: readonly string[], edits: readonly Edit[]): string[][] => {
  const uf = unionFind();
  for (const e of edits) if (e.op === "rename") uf.union(e.path, e.new_path);
  const units = new Map<string, string[]>();
  const seen = new Set<string>();
  for (const p of [...paths, ...edits.flatMap(editPaths)]) {
    if (seen.has(p)) continue;
    seen.add(p);
    const root = uf.find(p);
    const unit = units.get(root);
    if (unit) unit.push(p);
    else units.set(root, [p]);
  }
  return [...units.values()];
};
