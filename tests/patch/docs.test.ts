import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { REASONS } from "../../lib/patch/index.ts";
import { ROOT } from "../_helpers.ts";

test("docs/HARDENING.md lists every reason code with its retryability and exit code", () => {
  const doc = readFileSync(join(ROOT, "docs/HARDENING.md"), "utf8");
  const rows = new Map(
    [...doc.matchAll(/^\| `(E_[A-Z_]+)` +\| (yes|no) +\| (\d) +\|/gm)].map((m) => [
      m[1],
      { retryable: m[2] === "yes", exit: Number(m[3]) },
    ]),
  );
  expect([...rows.keys()].sort()).toEqual(Object.keys(REASONS).sort());
  for (const [code, r] of Object.entries(REASONS)) {
    expect({ code, ...rows.get(code) }).toEqual({ code, retryable: r.retryable, exit: r.exitCode });
  }
});
