import { cpSync, readdirSync, readFileSync, statSync } from "node:fs";
import { basename, join, relative } from "node:path";
import { ROOT } from "../_helpers.ts";

export const TESTAPP = join(ROOT, "testapp");
const EXPECTED = join(ROOT, "tests/e2e/request-expected");

/** Every file under `dir` (relative, sorted) with its text, without .hyperion/ and node_modules/. */
export const readTree = (dir: string): Record<string, string> => {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      if (name === ".hyperion" || name === "node_modules") continue;
      const abs = join(d, name);
      if (statSync(abs).isDirectory()) walk(abs);
      else out[relative(dir, abs)] = readFileSync(abs, "utf8");
    }
  };
  walk(dir);
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)));
};

/** testapp as it must look after request `n`: the hand-written expected files over the original tree. */
export const expectedTree = (n: string): Record<string, string> => {
  const tree = readTree(TESTAPP);
  const dir = join(EXPECTED, n);
  for (const p of readFileSync(join(dir, "removed.txt"), "utf8").split("\n").filter(Boolean)) delete tree[p];
  for (const [p, text] of Object.entries(readTree(dir))) {
    if (p === "removed.txt") continue;
    tree[p.replace(/\.txt$/, "")] = text;
  }
  return Object.fromEntries(Object.entries(tree).sort(([a], [b]) => a.localeCompare(b)));
};

/** Copies testapp, without any local state it may carry, into `dir`. */
export const copyTestapp = (dir: string): void =>
  cpSync(TESTAPP, dir, {
    recursive: true,
    filter: (p) => ![".hyperion", "node_modules"].includes(basename(p)),
  });
