import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { HyperionError } from "../../lib/errors.ts";
import {
  applyChange,
  checkPath,
  makeFileChange,
  REASONS,
  sha256Hex,
  validateChangeRequest,
} from "../../lib/patch/index.ts";
import { fixture, limits, snapshotTree } from "./_fixture.ts";

const BEFORE = "alpha\nbeta\ngamma\ndelta\nepsilon\n";
const AFTER = "alpha\nBETA\ngamma\ndelta\nepsilon\nzeta\n";
const valid = makeFileChange("f.txt", BEFORE, AFTER);

/** A patch with a few characters replaced, inserted or deleted, or lines duplicated or dropped. */
const mutated = fc
  .array(
    fc.oneof(
      fc.tuple(
        fc.constant("replace" as const),
        fc.nat(),
        fc.constantFrom("@", "-", "+", " ", "\\", "\n", "0", "9", ",", "\r", "a"),
      ),
      fc.tuple(
        fc.constant("insert" as const),
        fc.nat(),
        fc.constantFrom("@@ -1 +1 @@\n", "\n", "-", "+x\n", "\\ No newline at end of file\n"),
      ),
      fc.tuple(fc.constant("delete" as const), fc.nat(), fc.constant("")),
    ),
    { minLength: 1, maxLength: 4 },
  )
  .map((edits) => {
    let p = valid.patch!;
    for (const [kind, at, text] of edits) {
      const i = at % (p.length + 1);
      if (kind === "replace") p = p.slice(0, i) + text + p.slice(i + 1);
      else if (kind === "insert") p = p.slice(0, i) + text + p.slice(i);
      else p = p.slice(0, i) + p.slice(i + 1);
    }
    return p;
  });

describe("fuzzed patches", () => {
  test("a mangled patch either gives exactly new_sha256 or is refused with a reason code, tree untouched", async () => {
    await using f = await fixture();
    f.write({ "f.txt": BEFORE });
    let n = 0;
    fc.assert(
      fc.property(mutated, fc.boolean(), (patch, keepHash) => {
        const change = {
          ...valid,
          patch,
          new_sha256: keepHash ? valid.new_sha256 : sha256Hex(AFTER.toUpperCase()),
        };
        const cr = { task_id: "t", changes: [change] };
        const before = snapshotTree(f.repo);
        for (const run of [
          () => validateChangeRequest(cr, { repo: f.repo, limits }),
          () =>
            applyChange({
              repo: f.repo,
              db: f.db,
              secret: f.secret,
              change: f.signed({ ...cr, id: `fz-${++n}` }),
            }),
        ]) {
          try {
            run();
          } catch (e) {
            expect(e).toBeInstanceOf(HyperionError);
            expect(REASONS as readonly string[]).toContain((e as HyperionError).code);
            expect(snapshotTree(f.repo)).toEqual(before);
          }
        }
        // Whatever got through wrote exactly the content the change names; put the file back.
        const now = f.read("f.txt");
        if (now !== BEFORE) {
          expect(sha256Hex(now)).toBe(change.new_sha256!);
          f.write({ "f.txt": BEFORE });
        }
      }),
      { numRuns: 300 },
    );
  });

  test("any string is either refused as a path with an E_PATH_ code or is a plain relative path", () => {
    const piece = fc.constantFrom(
      "a",
      "..",
      ".",
      "",
      "/",
      "\\",
      ":",
      ".git",
      ".GIT",
      "C:",
      "\u0000",
      "\n",
      "é",
      "e\u0301",
      "\ud800",
      " ",
      "con",
    );
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: "binary", maxLength: 12 }),
          fc.array(piece, { maxLength: 6 }).map((p) => p.join("")),
        ),
        (path) => {
          let ok: string;
          try {
            ok = checkPath(path);
          } catch (e) {
            expect(e).toBeInstanceOf(HyperionError);
            expect((e as HyperionError).code).toMatch(/^E_PATH_/);
            return;
          }
          expect(ok).toBe(path);
          const parts = path.split("/");
          expect(parts.every((c) => c !== "" && c !== "." && c !== ".." && c.toLowerCase() !== ".git")).toBe(
            true,
          );
          expect(/[\u0000-\u001f\\:]/.test(path) || path.startsWith("/")).toBe(false);
        },
      ),
      { numRuns: 2000 },
    );
  });

  test("any JSON value as a change request is refused with a reason code or accepted; nothing is thrown otherwise", async () => {
    await using f = await fixture();
    f.write({ "f.txt": BEFORE });
    fc.assert(
      fc.property(
        fc.oneof(fc.jsonValue(), fc.record({ task_id: fc.string(), changes: fc.array(fc.jsonValue()) })),
        (input) => {
          try {
            validateChangeRequest(input, { repo: f.repo, limits });
          } catch (e) {
            expect(e).toBeInstanceOf(HyperionError);
            expect(REASONS as readonly string[]).toContain((e as HyperionError).code);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
