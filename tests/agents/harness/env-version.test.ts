import { describe, expect, test } from "bun:test";
import { chmodSync, existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CLIS, childEnv, cliVersion } from "../../../lib/agents/harness/index.ts";
import { checkAgents } from "../../../lib/ops/doctor/file-checks.ts";
import { Config } from "../../../lib/schema/index.ts";
import { tmpdir } from "../../_helpers.ts";

describe("the environment a CLI gets", () => {
  test("proxies and GH_HOST pass; variables that move a CLI's home never do, whatever a pattern says", async () => {
    await using dir = await tmpdir("hyperion-env-");
    const from = {
      PATH: "/usr/bin",
      HTTPS_PROXY: "http://proxy:3128",
      https_proxy: "http://proxy:3128",
      NO_PROXY: "localhost",
      GH_HOST: "ghe.example.com",
      GEMINI_CLI_HOME: "/home/op",
      GEMINI_API_KEY: "k",
      CODEX_HOME: "/home/op/.codex",
      CLAUDE_CONFIG_DIR: "/home/op/.claude",
      XDG_CONFIG_HOME: "/home/op/.config",
      UNRELATED: "x",
    };
    const home = join(dir.path, "home");
    const envOf = (cli: "copilot" | "gemini" | "codex" | "claude") =>
      childEnv({
        from,
        forward: [...CLIS[cli].env, "*"],
        grants: CLIS[cli].grants,
        home,
        homeVars: CLIS[cli].homeVars,
        cache: join(dir.path, "cache"),
        ceiling: dir.path,
      });
    const gemini = envOf("gemini");
    expect(gemini.HTTPS_PROXY).toBe("http://proxy:3128");
    expect(gemini.https_proxy).toBe("http://proxy:3128");
    expect(gemini.NO_PROXY).toBe("localhost");
    expect(gemini.GEMINI_API_KEY).toBe("k");
    expect(gemini.GEMINI_CLI_HOME).toBeUndefined();
    expect(gemini.XDG_CONFIG_HOME).toBe(join(home, ".config"));
    expect(envOf("codex").CODEX_HOME).toBe(join(home, ".codex"));
    expect(envOf("claude").CLAUDE_CONFIG_DIR).toBe(join(home, ".claude"));
    const copilot = childEnv({
      from,
      forward: CLIS.copilot.env,
      home,
      homeVars: CLIS.copilot.homeVars,
      cache: join(dir.path, "cache"),
      ceiling: dir.path,
    });
    expect(copilot.GH_HOST).toBe("ghe.example.com");
    expect(copilot.UNRELATED).toBeUndefined();
  });
});

describe("the CLIs' versions (doctor)", () => {
  /** A CLI that, like copilot, unpacks itself into $HOME/.cache when asked its version. */
  const standIn = (dir: string, name: string, version: string) => {
    const bin = join(dir, "bin");
    mkdirSync(bin, { recursive: true });
    writeFileSync(
      join(bin, name),
      `#!/bin/sh\nmkdir -p "$HOME/.cache/${name}" && echo unpacked > "$HOME/.cache/${name}/pkg"\necho "${version}"\n`,
    );
    chmodSync(join(bin, name), 0o755);
    return bin;
  };

  test("`--version` runs with a throwaway HOME, removed afterwards; the operator's stays untouched", async () => {
    await using dir = await tmpdir("hyperion-version-");
    const operator = join(dir.path, "operator");
    mkdirSync(operator);
    const bin = standIn(dir.path, "codex", `codex-cli ${CLIS.codex.checked}`);
    const v = cliVersion(CLIS.codex, { PATH: `${bin}:/usr/bin:/bin`, HOME: operator });
    expect(v).toMatchObject({ version: CLIS.codex.checked, against: "same", path: join(bin, "codex") });
    expect(readdirSync(operator)).toEqual([]);
  });

  test("doctor says when the installed CLI is newer (or older) than the version checked", async () => {
    await using dir = await tmpdir("hyperion-version-");
    const operator = join(dir.path, "operator");
    mkdirSync(operator);
    standIn(dir.path, "gemini", "99.0.0");
    const bin = standIn(dir.path, "claude", "0.0.1 (Claude Code)");
    const check = checkAgents(Config.parse({ agents: { default: "gemini" } }), {
      PATH: `${bin}:/usr/bin:/bin`,
      HOME: operator,
    });
    expect(check.summary).toContain(`gemini 99.0.0 (newer than ${CLIS.gemini.checked}`);
    expect(check.summary).toContain(`claude 0.0.1 (older than ${CLIS.claude.checked}`);
    expect(existsSync(join(operator, ".cache"))).toBe(false);
  });
});
