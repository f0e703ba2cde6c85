import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { envError, usageError } from "../errors.ts";
import type { BundleFile } from "./bundle.ts";

/** How the bundle's files meet what is already in the folder. */
export type ExportPlan = {
  /** Not there yet. */
  create: BundleFile[];
  /** There with exactly this content: nothing to do. */
  same: BundleFile[];
  /** There with other content: replaced only with the operator's consent (--overwrite or a yes). */
  differ: BundleFile[];
};

/** The export folder must be a directory, or not exist yet. */
export const checkExportDir = (dir: string): void => {
  try {
    if (!statSync(dir).isDirectory())
      throw usageError(
        "E_EXPORT_NOT_DIR",
        `${dir} is not a directory`,
        "pass a directory (it is created when missing)",
      );
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
  }
};

const read = (path: string): string | null => {
  try {
    return readFileSync(path, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return null;
    // A directory where a bundle file belongs cannot be replaced safely: say so.
    throw usageError(
      "E_EXPORT_CONFLICT",
      `${path} exists and is not a readable file`,
      "move it out of the way",
    );
  }
};

export const planExport = (dir: string, files: BundleFile[]): ExportPlan => {
  const plan: ExportPlan = { create: [], same: [], differ: [] };
  for (const f of files) {
    const current = read(join(dir, f.path));
    (current === null ? plan.create : current === f.content ? plan.same : plan.differ).push(f);
  }
  return plan;
};

/** Writes each file through a temporary name and a rename, so none is ever half written. */
export const writeBundle = (dir: string, files: BundleFile[]): void => {
  for (const f of files) {
    const path = join(dir, f.path);
    const tmp = `${path}.${process.pid}.tmp`;
    try {
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(tmp, f.content);
      renameSync(tmp, path);
    } catch (e) {
      throw envError(
        "E_IO",
        `cannot write ${path}: ${(e as Error).message}`,
        "check the folder's permissions",
      );
    }
  }
};
