import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";

/**
 * The sample repository's files, read when this module is bundled: imported as a macro
 * (`with { type: "macro" }`), the compiled binary carries testapp/ inside it, so `hyperion demo`
 * works anywhere. Text files only; mode kept for executables.
 */
export const testappFiles = (): Record<string, { text: string; mode: number }> => {
  const root = join(import.meta.dir, "../../testapp");
  const out: Record<string, { text: string; mode: number }> = {};
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      if (name === ".hyperion" || name === "node_modules") continue;
      const abs = join(dir, name);
      const st = statSync(abs);
      if (st.isDirectory()) walk(abs);
      else out[relative(root, abs)] = { text: readFileSync(abs, "utf8"), mode: st.mode & 0o777 };
    }
  };
  walk(root);
  return out;
};
