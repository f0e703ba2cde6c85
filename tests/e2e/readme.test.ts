import { expect, setDefaultTimeout, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT, run, tmpdir } from "../_helpers.ts";
import { compiledBinary } from "./_binary.ts";

// Real child processes on a shared machine: a cap against hangs, not a speed target.
setDefaultTimeout(120_000);

/** The README's walkthrough "by hand", as a newcomer copies it. */
const walkthrough = (): string => {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const block = /By hand, on a fresh copy[\s\S]*?```sh\n([\s\S]*?)```/.exec(readme)?.[1];
  if (!block) throw new Error("README.md has no walkthrough block");
  return block;
};

test("the README walkthrough runs with the compiled binary, twice in a row", async () => {
  await using tmp = await tmpdir();
  const app = join(tmp.path, "app");
  const script = walkthrough()
    .replaceAll("$PWD/dist/hyperion", await compiledBinary())
    .replaceAll("/tmp/app", app);
  for (const round of [1, 2]) {
    const r = await run(["bash", "-e", "-c", script], { cwd: ROOT });
    expect({ round, exit: r.exitCode, stderr: r.stderr }).toMatchObject({ round, exit: 0 });
    expect(r.stdout).toContain("applied");
    expect(r.stdout).toContain("ready: ");
  }
});
