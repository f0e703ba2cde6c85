import { closeSync, openSync, readSync, realpathSync } from "node:fs";
import { dirname, sep } from "node:path";

/** What every sandbox shows anyway (lib/agents/sandbox/bwrap.ts). */
const SYSTEM = ["/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc"];

const underSystem = (p: string) => SYSTEM.some((s) => p === s || p.startsWith(`${s}/`));

/** An npm package's files need their siblings (dependencies, platform packages): the whole tree. */
const installRoot = (file: string): string => {
  const parts = file.split(sep);
  const i = parts.indexOf("node_modules");
  return i > 0 ? parts.slice(0, i + 1).join(sep) : dirname(file);
};

/** `#!/usr/bin/env node` -> `node`; `#!/usr/bin/bun` -> `/usr/bin/bun`. */
const interpreter = (file: string): string | null => {
  const buf = Buffer.alloc(256);
  let fd: number | undefined;
  try {
    fd = openSync(file, "r");
    const n = readSync(fd, buf, 0, buf.length, 0);
    const head = buf.subarray(0, n).toString("utf8");
    if (!head.startsWith("#!")) return null;
    const words = head.slice(2).split("\n")[0]!.trim().split(/\s+/);
    if (words[0]?.endsWith("/env")) return words.find((w, i) => i > 0 && !w.startsWith("-")) ?? null;
    return words[0] ?? null;
  } catch {
    return null;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
};

/**
 * The directories a CLI needs to start: its own install (the whole node_modules tree it sits in,
 * else its directory) and its script interpreter's (`node`, `bun`) when not a system path.
 */
export const installDirs = (bin: string, path: string): string[] => {
  const dirs = new Set<string>();
  const add = (file: string, prefix: boolean) => {
    const real = realpathSync(file);
    if (underSystem(real)) return;
    const root = installRoot(real);
    // An interpreter in <prefix>/bin needs <prefix>/lib as well (nvm, a Bun install).
    dirs.add(prefix && root.endsWith(`${sep}bin`) ? dirname(root) : root);
  };
  add(bin, false);
  const interp = interpreter(realpathSync(bin));
  if (interp) {
    const found = interp.includes("/") ? interp : Bun.which(interp, { PATH: path });
    if (found) add(found, true);
  }
  return [...dirs];
};
