import { defineCommand } from "citty";
import type { z } from "zod";
import {
  type FiledRequest,
  keyAnswers,
  mergeAnswers,
  planRequest,
  recordPlan,
  withAnswers,
} from "../lib/agents/index.ts";
import { usageError } from "../lib/errors.ts";
import { Answers, parseJsonText, parseWith, ScopeBrief, TaskRequest } from "../lib/schema/index.ts";
import { openRepo, requestsSql } from "../lib/store/index.ts";
import { formatArg, readInput, repoArgs } from "./_args.ts";
import { cli } from "./_main.ts";
import { agentArgs, agentContext, enqueueInto, printResult } from "./_request.ts";

const command = defineCommand({
  meta: {
    name: "answer",
    description:
      "Answer a request's open questions (or --yes to proceed on assumptions), then plan and enqueue it",
  },
  args: {
    request: { type: "positional", required: true, description: "The request id" },
    file: {
      type: "string",
      description: "Answers JSON (see `hyperion schema answers`), or - for stdin",
      valueHint: "FILE",
    },
    yes: {
      type: "boolean",
      description: "Proceed on the Engineer's assumptions for questions left unanswered",
    },
    ...repoArgs,
    ...agentArgs,
    format: formatArg(["text", "json"], "text"),
  },
  async run({ args }) {
    if (!args.file && !args.yes) {
      throw usageError(
        "E_USAGE",
        "nothing to answer with",
        "pass --file answers.json, or --yes to proceed on assumptions",
      );
    }
    const input = args.file ? await readInput(args.file) : null;
    using repo = openRepo({ repo: args.repo, db: args.db });
    const row = requestsSql(repo.db).getRequest(args.request);
    if (!row)
      throw usageError(
        "E_REQUEST_NOT_FOUND",
        `no request ${args.request}`,
        "check the id `hyperion request` printed",
      );
    if (row.status !== "needs_clarification") {
      throw usageError("E_REQUEST_STATE", `request ${row.id} is ${row.status}, not waiting for answers`);
    }
    // Rows could have been edited on disk: parse them like any input.
    const where = `request ${row.id} (stored)`;
    const fromRow = <S extends z.ZodType>(schema: S, text: string | null): z.infer<S> =>
      parseWith(schema, parseJsonText(text ?? "null", where), where);
    const request: FiledRequest = { ...fromRow(TaskRequest, row.payload), id: row.id };
    const brief = fromRow(ScopeBrief, row.brief);
    const before = row.answers ? fromRow(Answers, row.answers) : null;
    const added = input
      ? keyAnswers(
          brief.open_questions,
          parseWith(Answers, parseJsonText(input.text, input.source), input.source),
        )
      : Answers.parse({});
    const answers = mergeAnswers(before, added);
    const plan = await planRequest(agentContext(repo, args), withAnswers(request, answers), {
      answers: answers.answers,
      assume: args.yes,
      onTurn: requestsSql(repo.db).recordTurn,
    });
    const result = recordPlan(repo.db, plan, { existing: true, answers, enqueue: enqueueInto(repo) });
    return printResult(result, args.format, args.repo);
  },
});

export default command;

if (import.meta.main) await cli(command);
