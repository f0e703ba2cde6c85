import { defineCommand } from "citty";
import { EXIT, usageError } from "../lib/errors.ts";
import { heldReasons } from "../lib/governance/risk.ts";
import { parseWhole } from "../lib/ops/filters.ts";
import { submitChanges } from "../lib/runtime/submit.ts";
import { safeText } from "../lib/safe-text.ts";
import { parseJsonText } from "../lib/schema/index.ts";
import { formatArg, readInput, repoArgs } from "./_args.ts";
import { emit, say } from "./_io.ts";
import { cli } from "./_main.ts";
import { openQueue } from "./_queue.ts";

const command = defineCommand({
  meta: {
    name: "enqueue",
    description: "Submit change requests (one object or an array): validate, sign, enqueue",
  },
  args: {
    file: {
      type: "positional",
      required: true,
      description: "JSON file with change requests, or - for stdin",
    },
    ...repoArgs,
    partial: { type: "boolean", description: "Enqueue the valid changes even when others are rejected" },
    priority: { type: "string", description: "Priority (higher is leased first; default 0)", valueHint: "N" },
    format: formatArg(["text", "json"], "text"),
  },
  async run({ args }) {
    const { text, source } = await readInput(args.file);
    const value = parseJsonText(text, source);
    const inputs = Array.isArray(value) ? value : [value];
    if (inputs.length === 0)
      throw usageError("E_INPUT", `${source} holds an empty array`, "submit at least one change request");
    const priority = parseWhole("priority", args.priority, { min: -1_000_000, max: 1_000_000 });
    using q = openQueue({ repo: args.repo, db: args.db });
    const { enqueued, rejected, risks } = submitChanges(q.repo, q.queue, inputs, {
      partial: args.partial,
      priority,
    });
    const rows = enqueued.map((e) => ({
      id: e.id,
      task_id: e.task_id,
      status: e.status,
      paths: e.paths,
      held_for: e.status === "awaiting_approval" ? heldReasons(risks.get(e.id)) : [],
    }));
    for (const r of rejected) say(`${r.code}: change #${r.index}${r.id ? ` (${r.id})` : ""}: ${r.message}`);
    if (rejected.length > 0 && !args.partial) {
      say(
        `nothing enqueued: ${rejected.length} of ${inputs.length} change(s) rejected (fix them, or pass --partial)`,
      );
    }
    const held = rows.filter((r) => r.status === "awaiting_approval");
    for (const h of held) {
      say(
        `${h.id} awaits approval: ${h.held_for.join("; ")} (decide with \`hyperion approve ${h.id}\` or \`hyperion reject ${h.id}\`)`,
      );
    }
    emit(args.format, rows, () =>
      rows
        .map((r) =>
          [
            r.id,
            r.status,
            safeText(r.task_id),
            r.paths.map((p) => safeText(p, { path: true })).join(","),
          ].join("\t"),
        )
        .join("\n"),
    );
    return rejected.length > 0 ? EXIT.usage : held.length > 0 ? EXIT.needsPerson : EXIT.ok;
  },
});

export default command;

if (import.meta.main) await cli(command);
