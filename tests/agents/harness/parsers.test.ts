import { describe, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runFailure, stderrError } from "../../../lib/agents/harness/errors.ts";
import { CLIS } from "../../../lib/agents/index.ts";
import { tmpdir } from "../../_helpers.ts";

const lines = (...o: unknown[]) => o.map((x) => JSON.stringify(x)).join("\n");

describe("each CLI's output parser", () => {
  test("copilot: the last non-empty assistant message; no result line means unframed", () => {
    const out = lines(
      { type: "assistant.message", data: { content: "first" } },
      { type: "assistant.message", data: { content: "" } },
      { type: "assistant.message", data: { content: "final" } },
      // 1.0.102: a command that exits non-zero is a success, with its exit code beside it.
      {
        type: "tool.execution_complete",
        data: { toolCallId: "c1", success: true, shellExecution: { exitCode: 2 } },
      },
      {
        type: "tool.execution_complete",
        data: { toolCallId: "c2", success: true, shellExecution: { exitCode: 0 } },
      },
      { type: "result", sessionId: "s-1", exitCode: 0, usage: { sessionDurationMs: 9 } },
    );
    expect(CLIS.copilot.parse(out)).toEqual({
      text: "final",
      sessionId: "s-1",
      usage: { duration_ms: 9 },
      denied: [],
      framed: true,
      tools: { calls: 2, failed: 1 },
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

  test("gemini stream-json (0.61.0): deltas after the last tool call; a tool not offered is denied", () => {
    const out = lines(
      { type: "init", session_id: "g-2", model: "m" },
      { type: "message", role: "user", content: "do it" },
      { type: "message", role: "assistant", content: "Let me ", delta: true },
      { type: "tool_use", tool_name: "run_shell_command", tool_id: "t1", parameters: {} },
      {
        type: "tool_result",
        tool_id: "t1",
        status: "error",
        error: { type: "tool_not_registered", message: 'Tool "run_shell_command" not found.' },
      },
      { type: "tool_use", tool_name: "read_file", tool_id: "t2", parameters: {} },
      { type: "tool_result", tool_id: "t2", status: "success", output: "x" },
      { type: "message", role: "assistant", content: "Do", delta: true },
      { type: "message", role: "assistant", content: "ne.", delta: true },
      { type: "result", status: "success", stats: { input_tokens: 5, output_tokens: 6, duration_ms: 7 } },
    );
    expect(CLIS.gemini.parse(out)).toEqual({
      text: "Done.",
      sessionId: "g-2",
      usage: { input_tokens: 5, output_tokens: 6, duration_ms: 7 },
      denied: ["run_shell_command"],
      error: undefined,
      framed: true,
      tools: { calls: 2, failed: 1, succeeded: ["t2"] },
    });
    const failed = lines(
      { type: "init", session_id: "g-3" },
      {
        type: "result",
        status: "error",
        error: { type: "FatalTurnLimitedError", message: "too many turns" },
      },
    );
    expect(CLIS.gemini.parse(failed).error).toBe("FatalTurnLimitedError: too many turns");
  });

  test("gemini: a command that exited non-zero (a 'success' in the stream) fails by its chat log", async () => {
    await using dir = await tmpdir("hyperion-gemini-log-");
    const chats = join(dir.path, ".gemini/tmp/work/chats");
    mkdirSync(chats, { recursive: true });
    const call = (id: string, output: string) => ({
      id,
      name: "run_shell_command",
      result: [{ functionResponse: { id, response: { output } } }],
    });
    writeFileSync(
      join(chats, "session-2026-12-07T00-09-444c7982.jsonl"),
      lines(
        { sessionId: "g-4" },
        { type: "gemini", toolCalls: [call("t1", "Output: nope\nExit Code: 2\n")] },
        {
          type: "gemini",
          toolCalls: [call("t1", "Output: nope\nExit Code: 2\n"), call("t2", "Output: ok\n")],
        },
      ),
    );
    const parsed = CLIS.gemini.parse(
      lines(
        { type: "init", session_id: "g-4" },
        { type: "tool_use", tool_name: "run_shell_command", tool_id: "t1" },
        { type: "tool_result", tool_id: "t1", status: "success" },
        { type: "tool_use", tool_name: "run_shell_command", tool_id: "t2" },
        { type: "tool_result", tool_id: "t2", status: "success" },
        { type: "result", status: "success" },
      ),
    );
    expect(CLIS.gemini.inspect!(dir.path, parsed).tools).toMatchObject({ calls: 2, failed: 1 });
  });

  test("claude stream-json: each tool_result counted; 'No such tool available' is a refusal", () => {
    const out = lines(
      { type: "system", subtype: "init", session_id: "c-1" },
      {
        type: "user",
        message: {
          role: "user",
          content: [
            {
              type: "tool_result",
              tool_use_id: "t1",
              is_error: true,
              content: "<tool_use_error>Error: No such tool available: Bash</tool_use_error>",
            },
          ],
        },
      },
      {
        type: "user",
        message: { role: "user", content: [{ type: "tool_result", tool_use_id: "t2", content: "ok" }] },
      },
      { type: "result", subtype: "success", is_error: false, result: "done", session_id: "c-1" },
    );
    expect(CLIS.claude.parse(out)).toMatchObject({
      text: "done",
      sessionId: "c-1",
      denied: ["Bash"],
      tools: { calls: 2, failed: 1 },
    });
  });

  test("codex: the last turn's commands from its session log; a read-only refusal is denied", async () => {
    await using dir = await tmpdir("hyperion-codex-log-");
    const thread = "01a24dca-4159-79f3-8f20-b334820c6657";
    const sessions = join(dir.path, ".codex/sessions/2026/12/07");
    mkdirSync(sessions, { recursive: true });
    const output = (o: string) => ({
      type: "response_item",
      payload: { type: "function_call_output", output: o },
    });
    writeFileSync(
      join(sessions, `rollout-2026-12-07T00-00-00-${thread}.jsonl`),
      lines(
        { type: "event_msg", payload: { type: "task_started" } },
        output("Process exited with code 1\nOutput:\nearlier turn\n"),
        { type: "event_msg", payload: { type: "task_started" } },
        output("Process exited with code 1\nOutput:\n/bin/bash: line 1: made.txt: Read-only file system\n"),
        output("Process exited with code 0\nOutput:\nfine\n"),
      ),
    );
    const parsed = CLIS.codex.parse(lines({ type: "thread.started", thread_id: thread }));
    expect(CLIS.codex.inspect!(dir.path, parsed)).toMatchObject({
      denied: ["shell (sandbox: read-only)"],
      tools: { calls: 2, failed: 1 },
    });
  });

  test("an error object on stderr (gemini -o json) is read for its message", () => {
    const stderr = `Warning: something\n${JSON.stringify({ session_id: "x", error: { type: "Error", message: "Invalid auth method selected.", code: 41 } }, null, 2)}\n`;
    expect(stderrError(stderr)).toBe("Error: Invalid auth method selected.");
    expect(stderrError("plain words\n")).toBeUndefined();
  });

  test("a refusal explains a failed exit: codex's exit 1 after a read-only refusal is E_AGENT_DENIED", () => {
    const parsed = { text: "", denied: ["shell (sandbox: read-only)"], framed: true };
    expect(runFailure(CLIS.codex, { exitCode: 1, stdout: "", stderr: "" }, parsed)).toMatchObject({
      code: "E_AGENT_DENIED",
    });
    expect(
      runFailure(CLIS.codex, { exitCode: 1, stdout: "", stderr: "boom" }, { ...parsed, denied: [] }),
    ).toMatchObject({
      code: "E_AGENT_EXIT",
    });
  });
});
