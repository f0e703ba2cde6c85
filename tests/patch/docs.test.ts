import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { CODES, renderCodesDoc } from "../../lib/codes.ts";
import { REASONS } from "../../lib/patch/index.ts";
import { ROOT } from "../_helpers.ts";

/** Every file under `dir` whose name ends with one of `ends`. */
const files = (dir: string, ends: string[]): string[] =>
  readdirSync(join(ROOT, dir), { recursive: true, encoding: "utf8" })
    .filter((f) => ends.some((e) => f.endsWith(e)))
    .map((f) => join(ROOT, dir, f));

// E_CODE is how the docs write "any code".
const codesIn = (text: string) =>
  new Set(
    [...text.matchAll(/\bE_[A-Z][A-Z0-9_]*[A-Z0-9]\b/g)].map((m) => m[0]).filter((c) => c !== "E_CODE"),
  );

describe("the error code registry", () => {
  test("docs/ERRORS.md is rendered from lib/codes.ts (bun run docs:errors)", () => {
    expect(readFileSync(join(ROOT, "docs/ERRORS.md"), "utf8")).toBe(renderCodesDoc());
  });

  test("every code the source and the docs name is declared in the registry", () => {
    const sources = [...files("lib", [".ts"]), ...files("cmd", [".ts"])];
    const docs = [...files("docs", [".md"]), join(ROOT, "README.md")];
    const unknown = [...sources, ...docs].flatMap((f) =>
      [...codesIn(readFileSync(f, "utf8"))].filter((c) => !(c in CODES)).map((c) => `${c} in ${f}`),
    );
    expect(unknown).toEqual([]);
  });

  test("lib/patch's reasons are registered codes", () => {
    for (const code of REASONS) expect(CODES[code].meaning.length).toBeGreaterThan(0);
  });
});
