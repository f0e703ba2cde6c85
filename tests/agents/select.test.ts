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

  test("a CLI harness not in this build is refused rather than replaced by the stub", () => {
    expect(selectHarness("stub", { repo: "." }).name).toBe("stub");
    expect(() => selectHarness("copilot", { repo: "." })).toThrow(
      expect.objectContaining({ code: "E_AGENT_UNAVAILABLE", exitCode: 2 }),
    );
  });
});
