/**
 * `bun run build [--outfile FILE] [--no-bytecode]`: one `dist/hyperion` executable. Every `*.worker.ts` under lib/
 * is added as an entrypoint, because a Worker whose file is not part of the build fails silently in the binary.
 * `--no-bytecode` builds without bytecode (the anchor of `bun run bench:startup`).
 */
import { Glob } from "bun";

const at = process.argv.indexOf("--outfile");
const outfile = at > 0 ? process.argv[at + 1]! : "dist/hyperion";
const bytecode = !process.argv.includes("--no-bytecode");

const workers = [...new Glob("lib/**/*.worker.ts").scanSync({ cwd: `${import.meta.dir}/..` })].sort();
const result = await Bun.build({
  entrypoints: ["cmd/hyperion.ts", ...workers],
  root: ".",
  compile: { outfile },
  minify: true,
  // Bytecode compiled at build time: `dist/hyperion --version` starts 2.6x sooner (docs/PERFORMANCE.md,
  // Start-up). ESM bytecode needs compile, and the format named: the bundle has top-level await.
  bytecode,
  format: "esm",
  sourcemap: "linked",
  // @opentui/core lists a musl package the glibc build never loads; bundling it fails.
  external: ["@opentui/core-linux-x64-musl", "@opentui/core-linux-arm64-musl"],
});
if (!result.success) {
  for (const m of result.logs) console.error(m);
  process.exit(1);
}
console.error(`built ${outfile} (${workers.length} worker entr${workers.length === 1 ? "y" : "ies"})`);
