import { describe, expect, test } from "bun:test";
import { type Column, colourFor, renderTable } from "../../lib/ops/index.ts";

type Row = { name: string; n: number; status: string; note: string | null };
const columns: Column<Row>[] = [
  { header: "name", value: (r) => r.name },
  { header: "n", value: (r) => r.n, right: true },
  { header: "status", value: (r) => r.status, colour: (r) => (r.status === "dead" ? "red" : undefined) },
  { header: "note", value: (r) => r.note, max: 8 },
];
const rows: Row[] = [
  { name: "a", n: 1, status: "dead", note: "short" },
  { name: "longer-name", n: 1234, status: "applied", note: "a note far too long\nwith a newline" },
  { name: "c", n: 5, status: "queued", note: null },
];

describe("renderTable", () => {
  test("aligns columns, right-aligns numbers, cuts long cells and shows null as '-'", () => {
    expect(renderTable(columns, rows, { colour: false })).toBe(
      [
        "NAME            N  STATUS   NOTE",
        "a               1  dead     short",
        "longer-name  1234  applied  a note …",
        "c               5  queued   -",
      ].join("\n"),
    );
  });

  test("colour adds escape codes but keeps the columns where they were", () => {
    const plain = renderTable(columns, rows, { colour: false });
    const coloured = renderTable(columns, rows, { colour: true });
    expect(coloured).toContain("\x1b[31mdead   \x1b[0m");
    expect(Bun.stripANSI(coloured)).toBe(plain);
  });

  test("colour only for a terminal, and never with NO_COLOR", () => {
    expect(colourFor({ isTTY: false })).toBe(false);
    expect(colourFor({})).toBe(false);
    const saved = process.env.NO_COLOR;
    process.env.NO_COLOR = "1";
    try {
      expect(colourFor({ isTTY: true })).toBe(false);
    } finally {
      if (saved === undefined) delete process.env.NO_COLOR;
      else process.env.NO_COLOR = saved;
    }
  });
});
