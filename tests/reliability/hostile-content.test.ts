import { afterEach, describe, expect, test } from "bun:test";
import { randomInt } from "node:crypto";
import { join } from "node:path";
import {
  assessRisk,
  handedCredentials,
  scanSecrets,
  summarize,
  summaryMarkdown,
} from "../../lib/governance/index.ts";
import { makeFileChange, sha256Hex } from "../../lib/patch/index.ts";
import { submitChanges } from "../../lib/runtime/index.ts";
import { defaultConfig } from "../../lib/schema/index.ts";
import { ROOT } from "../_helpers.ts";
import { repoWith } from "./_repo.ts";

const fixture = async (name: string) => Bun.file(join(ROOT, "tests/fixtures/hostile", name)).json();
type SecretCase = { rule: string; parts: string[]; random: number; alphabet: string; suffix?: string };
type ContentCase = { name: string; path: string; content: string; expect: string; rule?: string };
const secrets = (await fixture("secrets.json")) as { cases: SecretCase[]; clean: string[] };
const content = (await fixture("content.json")) as { cases: ContentCase[] };

const ALPHABETS: Record<string, string> = {
  alnum: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
  upper: "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
};
const random = (n: number, alphabet: string) =>
  Array.from({ length: n }, () => alphabet[randomInt(alphabet.length)]).join("");
const build = (c: SecretCase) =>
  `${c.parts.join("")}${random(c.random, ALPHABETS[c.alphabet]!)}${c.suffix ?? ""}`;

// Built by hand: makeFileChange refuses the bad names this corpus is made of.
const created = (path: string, text: string) => {
  const lines = text.split("\n").slice(0, -1);
  const patch = `--- /dev/null\n+++ b/${path}\n@@ -0,0 +1,${lines.length} @@\n${lines.map((l) => `+${l}\n`).join("")}`;
  return {
    task_id: "adhoc",
    changes: [{ path, operation: "create" as const, patch, new_sha256: sha256Hex(text) }],
  };
};
const config = defaultConfig();

describe("secret scan over added lines", () => {
  for (const c of secrets.cases) {
    test(`finds a ${c.rule} (${c.parts.join("")}…), redacted`, () => {
      const value = build(c);
      const found = scanSecrets(created("docs/x.md", `intro\nkey: ${value}\n`).changes);
      expect(found.map((f) => f.rule)).toContain(c.rule);
      for (const f of found) expect(f.redacted.length).toBeLessThan(40);
      expect(JSON.stringify(found)).not.toContain(value.slice(8));
    });
  }
  for (const line of secrets.clean) {
    test(`leaves ordinary text alone: ${line.slice(0, 40)}`, () => {
      expect(scanSecrets(created("docs/x.md", `${line}\n`).changes)).toEqual([]);
    });
  }
  test("removed lines are not findings (taking a token out is welcome)", () => {
    const token = build(secrets.cases[0]!);
    const change = makeFileChange("a.md", `x\n${token}\n`, "x\n");
    expect(scanSecrets([change])).toEqual([]);
  });
});

describe("a credential Hyperion handed to an agent, committed by it", () => {
  const saved = process.env.GH_TOKEN;
  afterEach(() => {
    if (saved === undefined) delete process.env.GH_TOKEN;
    else process.env.GH_TOKEN = saved;
  });

  test("holds the change with the finding redacted, and the value appears nowhere in the log", async () => {
    // No known token format: only knowing what was handed to the agent finds it.
    const handed = `q${random(39, "abcdefghijklmnopqrstuvwxyz0123456789")}`;
    process.env.GH_TOKEN = handed;
    expect(handedCredentials(config.agents)).toContain(handed);
    await using r = await repoWith({ "README.md": "hi\n" });
    const { enqueued, risks } = submitChanges(r.repo, r.queue, [
      { id: "cr-leak", ...created("docs/x.md", `# Setup\n\nexport GH_TOKEN=${handed}\n`) },
    ]);
    expect(enqueued[0]!.status).toBe("awaiting_approval");
    const risk = risks.get("cr-leak")!;
    expect(risk.holds).toHaveLength(1);
    expect(risk.holds[0]!).toMatchObject({ path: "docs/x.md", line: 3 });
    expect(risk.holds[0]!.rule).toContain("a credential Hyperion handed to agents");
    expect(risk.holds[0]!.rule).toContain("[40 chars redacted]");
    const logs = JSON.stringify(r.queue.logs("cr-leak"));
    expect(logs).toContain("held_for_approval");
    expect(logs).not.toContain(handed);
    expect(logs).not.toContain(handed.slice(4));
    // The person deciding sees why, redacted.
    const md = summaryMarkdown(summarize(r.repo.db, r.queue, "cr-leak"));
    expect(md).toContain("held for approval: a credential Hyperion handed to agents");
    expect(md).toContain("docs/x.md:3 (always held)");
    expect(md).not.toContain(handed.slice(4));
  });

  test("a variable no CLI is given is not a handed credential", () => {
    expect(handedCredentials(config.agents, { MY_SERVICE_TOKEN: "x".repeat(40) })).toEqual([]);
    expect(handedCredentials(config.agents, { GH_TOKEN: "short" })).toEqual([]);
    expect(handedCredentials(config.agents, { ANTHROPIC_API_KEY: "k".repeat(30) })).toEqual(["k".repeat(30)]);
  });
});

describe("hostile content is held for a person or refused", () => {
  for (const c of content.cases) {
    test(`${c.name}: ${c.expect}`, async () => {
      if (c.expect === "queued" || c.expect === "held") {
        // Scored alone, with no path rule of the operator's policy: the hold must not depend on it.
        const risk = assessRisk(created(c.path, c.content), { ...config.risk, paths: [] });
        expect(risk.needs_approval).toBe(c.expect === "held");
        if (c.rule) expect(risk.holds.map((h) => h.rule).join("\n")).toContain(c.rule);
      }
      await using r = await repoWith({ "README.md": "hi\n" });
      const { enqueued, rejected } = submitChanges(r.repo, r.queue, [created(c.path, c.content)]);
      if (c.expect === "held") expect(enqueued.map((e) => e.status)).toEqual(["awaiting_approval"]);
      else if (c.expect === "queued") expect(enqueued.map((e) => e.status)).toEqual(["queued"]);
      else {
        expect(enqueued).toEqual([]);
        expect(rejected.map((x) => x.code)).toEqual([c.expect]);
        expect(rejected[0]!.message).not.toMatch(/[\u202a-\u202e\u2066-\u2069]/);
      }
    });
  }
});
