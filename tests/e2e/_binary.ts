import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT, run } from "../_helpers.ts";

let built: Promise<string> | undefined;

/**
 * The compiled executable, built once per test process into a temp dir (removed at exit), so the
 * tests run the real binary from outside the source tree.
 */
export const compiledBinary = (): Promise<string> => {
  built ??= (async () => {
    const dir = mkdtempSync(join(tmpdir(), "hyperion-bin-"));
    process.on("exit", () => rmSync(dir, { recursive: true, force: true }));
    const bin = join(dir, "hyperion");
    const r = await run([process.execPath, join(ROOT, "scripts/build.ts"), "--outfile", bin]);
    if (r.exitCode !== 0) throw new Error(`build failed: ${r.stderr}`);
    return bin;
  })();
  return built;
};
