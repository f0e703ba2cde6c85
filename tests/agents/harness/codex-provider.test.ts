import { describe, expect, test } from "bun:test";
import { CLIS } from "../../../lib/agents/index.ts";
import { Config } from "../../../lib/schema/index.ts";

const argv = (provider?: Parameters<typeof CLIS.codex.argv>[0]["provider"], resume = false) =>
  CLIS.codex.argv({
    prompt: "do it",
    workdir: "/w",
    home: "/h",
    session: resume ? { id: "01a24dca-4159-79f3-8f20-b334820c6657", resume: true } : null,
    writes: false,
    allowAllTools: false,
    allowTools: [],
    denyTools: [],
    args: [],
    secrets: [],
    provider,
  });

describe("agents.codex.provider", () => {
  test("lands in codex's argv as -c model_providers overrides, first turn and resume alike", () => {
    const provider = Config.parse({
      agents: { codex: { provider: { base_url: "http://127.0.0.1:8080/v1", env_key: "MY_KEY" } } },
    }).agents.codex.provider;
    const expected = [
      "-c",
      'model_provider="hyperion"',
      "-c",
      'model_providers.hyperion.name="hyperion"',
      "-c",
      'model_providers.hyperion.base_url="http://127.0.0.1:8080/v1"',
      "-c",
      'model_providers.hyperion.wire_api="responses"',
      "-c",
      'model_providers.hyperion.env_key="MY_KEY"',
    ];
    for (const a of [argv(provider), argv(provider, true)]) {
      const at = a.indexOf('model_provider="hyperion"') - 1;
      expect(a.slice(at, at + expected.length)).toEqual(expected);
      // Everything before the prompt: a value cannot end the options.
      expect(a.indexOf("--")).toBeGreaterThan(at + expected.length - 1);
    }
    expect(argv().join(" ")).not.toContain("model_provider");
  });

  test("a URL that is not http(s), a variable name with a space, or the chat wire API is refused", () => {
    const parse = (provider: unknown) => Config.safeParse({ agents: { codex: { provider } } });
    expect(parse({ base_url: "ftp://x" }).success).toBe(false);
    expect(parse({ base_url: "http://x", env_key: "MY KEY" }).success).toBe(false);
    // codex 0.171.0 refuses wire_api = "chat" itself.
    expect(parse({ base_url: "http://x", wire_api: "chat" }).success).toBe(false);
    expect(parse({ base_url: "http://x" }).data?.agents.codex.provider).toEqual({
      base_url: "http://x",
      wire_api: "responses",
    });
    // Only codex has a provider.
    expect(Config.safeParse({ agents: { claude: { provider: { base_url: "http://x" } } } }).success).toBe(
      false,
    );
  });
});
