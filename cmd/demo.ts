import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { defineCommand } from "citty";
import { testappFiles } from "../lib/agents/testapp-files.ts" with { type: "macro" };
import { envError, usageError } from "../lib/errors.ts";
import { bufferIo, out } from "./_io.ts";
import { cli, main } from "./_main.ts";

/** The request the demo files: several files, a rename, a delete and a find/replace modify. */
const REQUEST = "orchestrate-request-003.json";

/** testapp/ as it was when this hyperion was built (inlined by the macro import). */
const EMBEDDED = testappFiles();

/** A sample repository given with --testapp; it must hold the demo's request. */
const checkTestapp = (given: string): string => {
  const dir = resolve(given);
  if (!existsSync(join(dir, REQUEST))) {
    throw usageError(
      "E_DEMO_NO_TESTAPP",
      `${given} holds no ${REQUEST}`,
      "pass a copy of Hyperion's testapp/",
    );
  }
  return dir;
};

const writeEmbedded = (dir: string) => {
  for (const [path, file] of Object.entries(EMBEDDED)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), file.text, { mode: file.mode });
  }
};

const indent = (text: string) =>
  text
    .trimEnd()
    .split("\n")
    .map((l) => `    ${l}`)
    .join("\n");

/** Runs one step as an operator would type it (in this process) and shows its output. */
const step = async (args: string[], show = true): Promise<string> => {
  out(`$ hyperion ${args.join(" ")}`);
  const { root } = await import("./_root.ts");
  const buffers = bufferIo();
  const code = await main(root, args, buffers.io);
  const text = buffers.stdout();
  if (show && text.trim()) out(indent(text));
  if (code !== 0) {
    const why = buffers.stderr().trim().split("\n").at(-1) ?? "";
    throw envError(
      "E_DEMO_STEP",
      `\`hyperion ${args[0]}\` exited ${code}: ${why}`,
      "the copy is kept for a look",
    );
  }
  return text;
};

const command = defineCommand({
  meta: {
    name: "demo",
    description:
      "Copy testapp to a temporary directory, run request 003 through the agents and the queue, show the record",
  },
  args: {
    testapp: {
      type: "string",
      description: "Sample repository to copy (default: the testapp/ built into hyperion)",
      valueHint: "DIR",
    },
    dir: {
      type: "string",
      description: "Copy into DIR (new or empty) instead of a new temporary directory",
      valueHint: "DIR",
    },
  },
  async run({ args }) {
    const source = args.testapp === undefined ? null : checkTestapp(args.testapp);
    const dir = args.dir ? resolve(args.dir) : mkdtempSync(join(tmpdir(), "hyperion-demo-"));
    if (args.dir) {
      mkdirSync(dir, { recursive: true });
      if (readdirSync(dir).length > 0)
        throw usageError("E_DEMO_DIR", `${dir} is not empty`, "choose a new or empty --dir");
    }
    // A copy, never the source: the demo changes files. Local state of the source stays behind.
    if (source === null) writeEmbedded(dir);
    else {
      cpSync(source, dir, {
        recursive: true,
        filter: (p) => ![".hyperion", "node_modules"].includes(basename(p)),
      });
    }
    out(`hyperion demo: a copy of ${source ?? "testapp"} in ${dir}\n`);

    await step(["init", "--repo", dir], false);
    await step(["plan", "approve", "--repo", dir]);
    out("\nplanned (Engineer -> Orchestrator -> Developers, stub agents):\n");
    const planned = JSON.parse(
      await step(["request", join(dir, REQUEST), "--repo", dir, "--format", "json"], false),
    ) as {
      request_id: string;
      kind: string;
      tasks: { id: string; owned_paths: string[]; context_paths: string[]; estimated_tokens: number }[];
      change_requests: { id: string; task_id: string }[];
    };
    out(
      `    request ${planned.request_id} (${planned.kind}): ${planned.tasks.length} tasks, ${planned.change_requests.length} change requests\n`,
    );
    for (const t of planned.tasks) {
      const change = planned.change_requests.find((c) => c.task_id === t.id)?.id ?? "no change";
      out(`    ${t.id}  owns ${t.owned_paths.join(", ")}  ~${t.estimated_tokens} tokens  -> ${change}\n`);
    }
    out("\napplied (validated by `bun test` under the approved WORKPLAN.md after each change):\n");
    const ran = await step(["run", "--until-empty", "--repo", dir, "--format", "json"], false);
    const summary = ran
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .findLast((e) => e.type === "summary");
    if (summary) {
      const { applied, retried, dead, held, elapsed_ms, workers } = summary;
      out(
        `    applied ${applied} · retried ${retried} · dead ${dead} · held for approval ${held} · ${elapsed_ms} ms on ${workers} worker(s)\n`,
      );
    }
    out("\nrecorded:\n");
    await step(["list", "--repo", dir]);
    await step(["file-mods", "--request", planned.request_id, "--repo", dir]);
    const renamed = planned.change_requests[0]?.id;
    if (renamed) await step(["logs", "--change", renamed, "--repo", dir]);
    await step(["queue-metrics", "--repo", dir]);
    out(
      [
        "",
        "look further:",
        `  hyperion list --repo ${dir}                 every change and its status`,
        `  hyperion history --repo ${dir}              requests, tasks and what became of them`,
        `  hyperion logs --change <id> --repo ${dir}   one change's events, validation output included`,
        `  hyperion summary <request> --repo ${dir}    what was asked, planned, applied and validated`,
        `  hyperion rollback --request <id> --repo ${dir}   undo it all`,
        "",
      ].join("\n"),
    );
  },
});

export default command;

if (import.meta.main) await cli(command);
