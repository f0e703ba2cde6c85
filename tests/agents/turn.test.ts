import { describe, expect, test } from "bun:test";
import {
  type AgentHarness,
  createStubHarness,
  type EngineerInput,
  extractJson,
  runTurn,
  stubEngineer,
} from "../../lib/agents/index.ts";
import { HyperionError } from "../../lib/errors.ts";
import { EngineerOutput, TaskRequest } from "../../lib/schema/index.ts";

const input: EngineerInput = {
  request: {
    ...TaskRequest.parse({ title: "Fix the crash in greet", edits: [{ op: "delete", path: "a.ts" }] }),
    id: "r-1",
  },
  answers: [],
  assume: false,
  files: ["a.ts"],
};
const turn = { role: "engineer" as const, input };
const stub = createStubHarness();
const opts = (harness: AgentHarness, o: { fallback?: boolean; timeoutMs?: number } = {}) => ({
  harness,
  stub,
  fallback: o.fallback ?? true,
  timeoutMs: o.timeoutMs ?? 60_000,
  repo: "/nonexistent",
  contract: EngineerOutput,
});

/** Real harnesses standing in for misbehaving agents. */
const saying = (name: string, text: string): AgentHarness => ({ name, turn: async () => ({ text }) });

describe("runTurn", () => {
  test("the harness's valid output is used as is", async () => {
    const out = await runTurn(turn, opts(stub));
    expect(out.agent).toBe("stub");
    expect(out.fallback).toBeUndefined();
    expect(out.output.kind).toBe("bugfix");
    expect(out.usage?.input_tokens).toBeGreaterThan(0);
  });

  test("the prompt states the role, the contract as JSON Schema, and the input", async () => {
    let seen: Parameters<AgentHarness["turn"]>[0] | undefined;
    const recorder: AgentHarness = {
      name: "recorder",
      turn: async (req) => {
        seen = req;
        return stub.turn(req);
      },
    };
    await runTurn(turn, opts(recorder));
    expect(seen?.prompt).toStartWith("You are the Engineer.");
    expect(seen?.outputSchema.properties).toHaveProperty("open_questions");
    expect(seen?.prompt).toContain(JSON.stringify(seen?.outputSchema));
    expect(seen?.prompt).toContain(JSON.stringify(input));
    expect(seen?.signal.aborted).toBe(false);
  });

  test("JSON wrapped in prose and a code fence is found and accepted", async () => {
    const json = JSON.stringify(stubEngineer(input));
    const out = await runTurn(
      turn,
      opts(saying("chatty", `Sure, here it is:\n\`\`\`json\n${json}\n\`\`\`\nAnything else?`)),
    );
    expect(out.agent).toBe("chatty");
    expect(out.fallback).toBeUndefined();
  });

  test("unparseable output falls back to the stub, with the reason", async () => {
    const out = await runTurn(turn, opts(saying("garbage", "I fixed it all! 🎉")));
    expect(out.agent).toBe("stub");
    expect(out.output).toEqual(stubEngineer(input));
    expect(out.fallback).toEqual({
      role: "engineer",
      agent: "garbage",
      reason: "the output holds no JSON object",
      raw_output: "I fixed it all! 🎉",
    });
  });

  test("JSON that breaks the contract falls back, naming the field", async () => {
    const out = await runTurn(
      turn,
      opts(saying("wrong", '{"kind":"epic","summary":"x","include":[],"risk":"low"}')),
    );
    expect(out.fallback?.reason).toStartWith("kind: ");
  });

  test("with fallback off, a contract failure is an error and the stub is not run", async () => {
    let stubRan = false;
    const watched: AgentHarness = {
      name: "stub",
      turn: async (req) => {
        stubRan = true;
        return stub.turn(req);
      },
    };
    const e = await runTurn(turn, {
      ...opts(saying("garbage", "nope"), { fallback: false }),
      stub: watched,
    }).catch((x) => x);
    expect(e).toBeInstanceOf(HyperionError);
    expect(e.code).toBe("E_AGENT_OUTPUT");
    expect(e.exitCode).toBe(1);
    expect(e.message).toContain("garbage");
    expect(stubRan).toBe(false);
  });

  test("a turn past its deadline is aborted and fails with E_AGENT_TIMEOUT", async () => {
    let aborted = false;
    const hang: AgentHarness = {
      name: "hang",
      turn: (req) =>
        new Promise((_, reject) => {
          req.signal.addEventListener("abort", () => {
            aborted = true;
            reject(new Error("aborted"));
          });
        }),
    };
    const e = await runTurn(turn, opts(hang, { timeoutMs: 10 })).catch((x) => x);
    expect(e.code).toBe("E_AGENT_TIMEOUT");
    expect(aborted).toBe(true);
  });

  test("a harness that throws is a distinct error, not a fallback", async () => {
    const broken: AgentHarness = {
      name: "broken",
      turn: async () => {
        throw new Error("exit 1: not logged in");
      },
    };
    const e = await runTurn(turn, opts(broken)).catch((x) => x);
    expect(e.code).toBe("E_AGENT_FAILED");
    expect(e.message).toContain("not logged in");
  });
});

describe("extractJson", () => {
  test.each([
    ['{"a":1}', { a: 1 }],
    ['text before {"a":1} and after', { a: 1 }],
    ['```\n{"a":2}\n```', { a: 2 }],
  ])("finds the JSON in %p", (text, want) => {
    expect(extractJson(text)).toEqual({ ok: true, value: want });
  });

  test("says why when there is no single answer (tests/reliability has the hostile corpus)", () => {
    expect(extractJson("no json {here")).toMatchObject({ ok: false });
    expect(extractJson('first ```json\n{"a":1}\n``` then ```json\n{"a":3}\n```')).toMatchObject({
      ok: false,
    });
  });
});
