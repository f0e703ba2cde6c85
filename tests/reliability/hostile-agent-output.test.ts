import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import {
  type AgentHarness,
  createStubHarness,
  type EngineerInput,
  extractJson,
  runTurn,
} from "../../lib/agents/index.ts";
import type { HyperionError } from "../../lib/errors.ts";
import { EngineerOutput, TaskRequest } from "../../lib/schema/index.ts";
import { ROOT } from "../_helpers.ts";

type Case = { name: string; text: string; value?: unknown; refused?: string };
const corpus = (await Bun.file(join(ROOT, "tests/fixtures/hostile/agent-output.json")).json()) as {
  cases: Case[];
};

describe("strict agent output: exactly one JSON answer", () => {
  for (const c of corpus.cases) {
    test(`${c.name}: ${c.refused === undefined ? "accepted" : `refused (${c.refused})`}`, () => {
      const r = extractJson(c.text);
      if (c.refused === undefined) expect(r).toEqual({ ok: true, value: c.value });
      else {
        expect(r.ok).toBe(false);
        expect(r.ok ? "" : r.reason).toContain(c.refused);
      }
    });
  }
});

describe("a refused answer keeps the raw output, bounded", () => {
  const input: EngineerInput = {
    request: {
      ...TaskRequest.parse({ title: "Fix it", edits: [{ op: "delete", path: "a.ts" }] }),
      id: "r-1",
    },
    answers: [],
    assume: false,
    files: ["a.ts"],
  };
  const stub = createStubHarness();
  const valid = JSON.stringify({ kind: "bugfix", summary: "x", scope: ["a.ts"] });
  const twoBlocks = `Draft:\n\`\`\`json\n${valid}\n\`\`\`\nFinal:\n\`\`\`json\n${valid}\n\`\`\`\n${"padding ".repeat(2000)}`;
  const saying = (text: string): AgentHarness => ({ name: "twice", turn: async () => ({ text }) });
  const opts = (fallback: boolean) => ({
    harness: saying(twoBlocks),
    stub,
    fallback,
    timeoutMs: 60_000,
    repo: "/nonexistent",
    contract: EngineerOutput,
  });

  test("two JSON blocks fail the turn; the stub's stand-in carries the reason and the raw output", async () => {
    const out = await runTurn({ role: "engineer", input }, opts(true));
    expect(out.agent).toBe("stub");
    expect(out.fallback?.reason).toContain("2 JSON blocks");
    const raw = out.fallback?.raw_output ?? "";
    expect(raw.startsWith("Draft:")).toBe(true);
    expect(raw.length).toBeLessThan(4200);
    expect(raw).toContain("characters cut");
  });

  test("with fallback off the turn is E_AGENT_OUTPUT, the raw output in its details", async () => {
    const e = (await runTurn({ role: "engineer", input }, opts(false)).catch((x) => x)) as HyperionError;
    expect(e.code).toBe("E_AGENT_OUTPUT");
    expect(e.message).toContain("2 JSON blocks");
    expect(String(e.details?.raw_output)).toStartWith("Draft:");
  });
});
