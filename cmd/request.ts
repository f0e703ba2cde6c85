import { defineCommand } from "citty";
import { fileRequest, planRequest, recordPlan, resultOf } from "../lib/agents/index.ts";
import { usageError } from "../lib/errors.ts";
import { parseJsonText, parseWith, TaskRequest } from "../lib/schema/index.ts";
import { openRepo, requestsSql } from "../lib/store/index.ts";
import { formatArg, readInput, repoArgs } from "./_args.ts";
import { cli } from "./_main.ts";
import { agentArgs, agentContext, enqueueInto, printResult } from "./_request.ts";

const command = defineCommand({
  meta: {
    name: "request",
    description:
      "File a task request: plan it with the agents and enqueue its change requests (headless; exit 3 with questions)",
  },
  args: {
    file: {
      type: "positional",
      required: true,
      description: "TaskRequest JSON file, or - for standard input",
    },
    ...repoArgs,
    ...agentArgs,
    yes: {
      type: "boolean",
      description: "Proceed on the Engineer's assumptions instead of stopping with questions",
    },
    "dry-run": { type: "boolean", description: "Plan and print, but write nothing and enqueue nothing" },
    format: formatArg(["text", "json"], "text"),
  },
  async run({ args }) {
    const { text, source } = await readInput(args.file);
    const request = fileRequest(parseWith(TaskRequest, parseJsonText(text, source), source));
    using repo = openRepo({ repo: args.repo, db: args.db });
    if (requestsSql(repo.db).hasRequest(request.id)) {
      throw usageError(
        "E_REQUEST_EXISTS",
        `request id ${request.id} is already used`,
        "leave `id` out to have one assigned, or choose a new one",
      );
    }
    const plan = await planRequest(agentContext(repo, args), request, {
      assume: args.yes,
      onTurn: args["dry-run"] ? undefined : requestsSql(repo.db).recordTurn,
    });
    const result = args["dry-run"]
      ? resultOf(plan, [], true)
      : recordPlan(repo.db, plan, { existing: false, answers: null, enqueue: enqueueInto(repo) });
    return printResult(result, args.format, args.repo);
  },
});

export default command;

if (import.meta.main) await cli(command);
