import { describe, expect, test } from "bun:test";
import { agentName, selectHarness } from "../../lib/agents/index.ts";
import { Config } from "../../lib/schema/index.ts";

const config = (name?: string) => Config.parse(name ? { agents: { default: name } } : {});

describe("choosing a harness", () => {
  test("--agent beats HYPERION_AGENT beats config, and stub is the default", () => {
    expect(agentName(undefined, config(), {})).toBe("stub");
    expect(agentName(undefined, config("codex"), {})).toBe("codex");
    expect(agentName(undefined, config("codex"), { HYPERION_AGENT: "claude" })).toBe("claude");
    expect(agentName("stub", config("codex"), { HYPERION_AGENT: "claude" })).toBe("stub");
  });

  test("an unknown name is refused, saying where it came from", () => {
    expect(() => agentName(undefined, config(), { HYPERION_AGENT: "hal" })).toThrow(
      expect.objectContaining({
        code: "E_AGENT_UNKNOWN",
        message: "unknown agent 'hal' (from HYPERION_AGENT)",
      }),
    );
  });

  test("a CLI harness whose executable is missing is refused rather than replaced by the stub", () => {
    expect(selectHarness("stub", { repo: "." }).name).toBe("stub");
    expect(() => selectHarness("copilot", { repo: ".", env: { PATH: "/nonexistent" } })).toThrow(
      expect.objectContaining({ code: "E_AGENT_MISSING", exitCode: 1 }),
    );
  });

  test("a pinned session names the agent, and a different --agent is refused", () => {
    const pinned = {
      name: "s1",
      agent: "claude",
      role: null,
      resume_token: null,
      started: 0,
      allow_all_tools: 0,
      created_at: 1,
      last_used_at: null,
    };
    expect(agentName(undefined, config("codex"), { HYPERION_AGENT: "gemini" }, pinned)).toBe("claude");
    expect(() => agentName("codex", config(), {}, pinned)).toThrow(
      expect.objectContaining({ code: "E_SESSION_AGENT", exitCode: 2 }),
    );
  });

  test("the command harness needs its executable and template in config", () => {
    expect(() => selectHarness("command", { repo: "." })).toThrow(
      expect.objectContaining({ code: "E_CONFIG" }),
    );
    const noTemplate = Config.parse({ agents: { command: { command: process.execPath } } });
    expect(() => selectHarness("command", { repo: ".", config: noTemplate })).toThrow(
      expect.objectContaining({ code: "E_CONFIG", message: expect.stringContaining("template") }),
    );
  });
});
