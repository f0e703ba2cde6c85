import { describe, expect, test } from "bun:test";
import { CLIS } from "../../../lib/agents/index.ts";

const lines = (...o: unknown[]) => o.map((x) => JSON.stringify(x)).join("\n");

describe("each CLI's output parser", () => {
  test("copilot: the last non-empty assistant message; no result line means unframed", () => {
    const out = lines(
      { type: "assistant.message", data: { content: "first" } },
      { type: "assistant.message", data: { content: "" } },
      { type: "assistant.message", data: { content: "final" } },
      { type: "result", sessionId: "s-1", exitCode: 0, usage: { sessionDurationMs: 9 } },
    );
    expect(CLIS.copilot.parse(out)).toEqual({
      text: "final",
      sessionId: "s-1",
      usage: { duration_ms: 9 },
      denied: [],
      framed: true,
    });
    expect(CLIS.copilot.parse("Error: something\n").framed).toBe(false);
  });

  test("claude: the json object, or the result line of stream-json; is_error is an error", () => {
    const result = {
      type: "result",
      subtype: "success",
      is_error: false,
      result: "ok",
      session_id: "c-1",
      usage: { input_tokens: 3, output_tokens: 4 },
      permission_denials: [],
    };
    expect(CLIS.claude.parse(JSON.stringify(result))).toMatchObject({ text: "ok", sessionId: "c-1" });
    const stream = lines(
      { type: "system", subtype: "init", session_id: "c-1" },
      { type: "assistant" },
      result,
    );
    expect(CLIS.claude.parse(stream)).toMatchObject({
      text: "ok",
      usage: { input_tokens: 3, output_tokens: 4 },
    });
    const failed = { ...result, subtype: "error_during_execution", is_error: true, result: "API Error: 500" };
    expect(CLIS.claude.parse(JSON.stringify(failed)).error).toBe("error_during_execution: API Error: 500");
  });

  test("codex: thread id, last agent message, usage; turn.failed is an error", () => {
    const out = lines(
      { type: "thread.started", thread_id: "t-1" },
      { type: "item.completed", item: { id: "i0", type: "reasoning", text: "hmm" } },
      { type: "item.completed", item: { id: "i1", type: "agent_message", text: "answer" } },
      { type: "turn.completed", usage: { input_tokens: 5, cached_input_tokens: 0, output_tokens: 6 } },
    );
    expect(CLIS.codex.parse(out)).toEqual({
      text: "answer",
      sessionId: "t-1",
      usage: { input_tokens: 5, output_tokens: 6 },
      denied: [],
      error: undefined,
      framed: true,
    });
    const failed = lines(
      { type: "thread.started", thread_id: "t-1" },
      { type: "turn.failed", error: { message: "quota" } },
    );
    expect(CLIS.codex.parse(failed).error).toBe("quota");
  });

  test("gemini: the object after any warning lines, with tokens summed over models", () => {
    const obj = {
      session_id: "g-1",
      response: "hi",
      stats: {
        models: { a: { tokens: { prompt: 1, candidates: 2 } }, b: { tokens: { prompt: 3, candidates: 4 } } },
      },
    };
    const out = `Loaded cached credentials.\n${JSON.stringify(obj, null, 2)}\n`;
    expect(CLIS.gemini.parse(out)).toMatchObject({
      text: "hi",
      sessionId: "g-1",
      usage: { input_tokens: 4, output_tokens: 6 },
      framed: true,
    });
    expect(
      CLIS.gemini.parse(JSON.stringify({ error: { type: "FatalAuthenticationError", message: "no key" } }))
        .error,
    ).toBe("FatalAuthenticationError: no key");
    expect(CLIS.gemini.parse("plain words").framed).toBe(false);
  });
});
