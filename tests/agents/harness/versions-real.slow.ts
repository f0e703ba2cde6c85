/** The version table against the four pinned real CLIs (dev dependencies): what doctor reports. */
import { describe, expect, test } from "bun:test";
import { mkdirSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { agentVersions } from "../../../lib/agents/harness/index.ts";
import { ROOT, tmpdir } from "../../_helpers.ts";

describe("the real CLIs' versions", () => {
  test("each pinned CLI is the version its harness was checked against, asked with a throwaway HOME", async () => {
    await using dir = await tmpdir("hyperion-versions-");
    const operator = join(dir.path, "operator");
    mkdirSync(operator);
    const found = agentVersions({
      PATH: `${join(ROOT, "node_modules", ".bin")}:${process.env.PATH}`,
      HOME: operator,
    });
    expect(found.map((v) => [v.agent, v.version === v.checked, v.against])).toEqual([
      ["copilot", true, "same"],
      ["claude", true, "same"],
      ["codex", true, "same"],
      ["gemini", true, "same"],
    ]);
    // copilot unpacks itself into ~/.cache when asked its version: not into this HOME.
    expect(readdirSync(operator)).toEqual([]);
  });
});
