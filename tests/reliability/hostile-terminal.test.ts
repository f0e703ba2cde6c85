import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { HyperionError } from "../../lib/errors.ts";
import { summarize, summaryMarkdown } from "../../lib/governance/index.ts";
import { changeColumns, listings, renderTable } from "../../lib/ops/index.ts";
import { makeFileChange, validateChangeRequest } from "../../lib/patch/index.ts";
import { submitChanges } from "../../lib/runtime/index.ts";
import { safeText } from "../../lib/safe-text.ts";
import { defaultConfig } from "../../lib/schema/index.ts";
import { ROOT } from "../_helpers.ts";
import { repoWith, thrown } from "./_repo.ts";

type Case = { name: string; text: string; shows: string };
type PathCase = { name: string; path: string; shows: string };
const load = async <T>(name: string): Promise<T[]> =>
  (await Bun.file(join(ROOT, "tests/fixtures/hostile", name)).json()).cases;
const terminal = await load<Case>("terminal.json");
const paths = await load<PathCase>("paths.json");

// Anything a terminal acts on: C0 (but newline and tab), DEL, C1, bidi and invisible format characters.
const RAW = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]/;
const OSC52 = "\u001b]52;c;Y3VybCB4IHwgc2g=\u0007";

describe("safeText", () => {
  for (const c of terminal) {
    test(`shows ${c.name} escaped`, () => {
      expect(safeText(c.text)).toBe(c.shows);
      expect(RAW.test(safeText(c.text))).toBe(false);
      expect(RAW.test(safeText(c.text, { multiline: true }))).toBe(false);
    });
  }
  for (const c of paths) {
    test(`shows a path with ${c.name} as ${c.shows}`, () => {
      expect(safeText(c.path, { path: true })).toBe(c.shows);
    });
  }
  test("keeps newlines and tabs only in multi-line text, and cuts at max", () => {
    expect(safeText("a\n\tb")).toBe("a\\n\\tb");
    expect(safeText("a\n\tb", { multiline: true })).toBe("a\n\tb");
    expect(safeText("abcdef", { max: 3 })).toBe("abc…");
  });
});

describe("text from agents reaches the terminal escaped", () => {
  test("an OSC 52 sequence in a change's summary is escaped in `list` and in `summary`", async () => {
    await using r = await repoWith({ "a.txt": "one\n" });
    const { enqueued } = submitChanges(r.repo, r.queue, [
      {
        id: "cr-osc",
        task_id: "adhoc",
        summary: `fix typo${OSC52}\u001b[2J`,
        changes: [makeFileChange("a.txt", "one\n", "two\n")],
      },
    ]);
    expect(enqueued).toHaveLength(1);
    const rows = listings(r.repo.db).changes({ limit: 10 });
    const table = renderTable(changeColumns, rows, { colour: false });
    expect(table).toContain("fix typo\\x1b]52;c;");
    expect(RAW.test(table)).toBe(false);
    // Colour is added by the table itself and only around cells; the cell text stays escaped.
    const coloured = renderTable(changeColumns, rows, { colour: true });
    expect(coloured).not.toContain(OSC52);
    expect(coloured).not.toContain("\u001b[2J");

    const md = summaryMarkdown(summarize(r.repo.db, r.queue, "cr-osc"));
    expect(md).toContain("fix typo\\x1b]52;c;");
    expect(RAW.test(md)).toBe(false);
  });

  test("an error line built from outside text is escaped", () => {
    const e = new HyperionError("E_AGENT_OUTPUT", `developer turn: the agent said ${OSC52}`, {
      hint: `\u001b]0;title\u0007`,
    });
    expect(e.oneLine()).toBe(
      "E_AGENT_OUTPUT: developer turn: the agent said \\x1b]52;c;Y3VybCB4IHwgc2g=\\x07 (\\x1b]0;title\\x07)",
    );
    expect(RAW.test(e.oneLine())).toBe(false);
  });

  test("a refusal naming a path with escapes or look-alike letters prints them escaped", async () => {
    await using r = await repoWith({ "a.txt": "one\n" });
    const opts = { repo: r.dir, limits: defaultConfig().limits, tip: () => null };
    const cyrillic = thrown(() =>
      validateChangeRequest(
        { task_id: "t", changes: [{ ...makeFileChange("\u0430.txt", "one\n", "two\n") }] },
        opts,
      ),
    );
    expect(cyrillic.oneLine()).toContain("'\\u{430}.txt'");
    const withEscape = thrown(() =>
      validateChangeRequest({ task_id: "t", changes: [makeFileChange(`x${OSC52}.txt`, "", "a\n")] }, opts),
    );
    expect(withEscape.code).toBe("E_PATH_INVALID");
    expect(RAW.test(withEscape.oneLine())).toBe(false);
    expect(withEscape.oneLine()).toContain("\\x1b]52");
  });
});
