import { existsSync } from "node:fs";
import { join } from "node:path";
import {
  type AgentContext,
  agentName,
  createStubHarness,
  type Enqueue,
  selectHarness,
} from "../lib/agents/index.ts";
import { asCode, HyperionError, usageError } from "../lib/errors.ts";
import { PLAN_FILE, readPlan } from "../lib/governance/index.ts";
import { createQueue } from "../lib/queue/index.ts";
import { submitChanges } from "../lib/runtime/index.ts";
import type { RequestResult } from "../lib/schema/index.ts";
import { type Repo, readSecret, sessionsSql } from "../lib/store/index.ts";
import { runtimeSql } from "../lib/store/runtime-sql.ts";
import { outJson, outText } from "./_io.ts";

/** Flags `request` and `answer` share. */
export const agentArgs = {
  agent: {
    type: "string",
    description: "Harness for the agents: stub (default), or $HYPERION_AGENT, or config agents.default",
    valueHint: "NAME",
  },
  session: {
    type: "string",
    description:
      "Stored agent session every turn resumes (`hyperion session list`); its agent unless --agent",
    valueHint: "NAME",
  },
  fallback: {
    type: "boolean",
    default: true,
    description:
      "Let the stub stand in when an agent's output fails its contract (--no-fallback: fail instead)",
  },
} as const;

export const agentContext = (
  repo: Repo,
  args: { agent?: string; fallback?: boolean; session?: string },
): AgentContext => {
  const sessions = sessionsSql(repo.db);
  const pinned = args.session === undefined ? undefined : sessions.get(args.session);
  if (pinned === null) {
    throw usageError(
      "E_SESSION_NOT_FOUND",
      `no stored session ${JSON.stringify(args.session)}`,
      "see `hyperion session list`, or store one with `hyperion session init`",
    );
  }
  const name = agentName(args.agent, repo.config, process.env, pinned);
  return {
    repo: repo.loc.repo,
    config: repo.config,
    harness: selectHarness(name, {
      repo: repo.loc.repo,
      config: repo.config,
      sessions,
      pinned,
      // A `run` applying meanwhile is Hyperion's own write, not an agent's.
      appliedSince: runtimeSql(repo.db).appliedSince,
    }),
    stub: createStubHarness(),
    fallback: (args.fallback ?? true) && repo.config.agents.fallback,
    plan: planCommands(repo.loc.repo),
  };
};

/** The plan's commands, for the Orchestrator's quick checks; none without a readable plan. */
const planCommands = (repo: string): AgentContext["plan"] => {
  if (!existsSync(join(repo, PLAN_FILE))) return undefined;
  try {
    const plan = readPlan(join(repo, PLAN_FILE));
    return {
      commands: plan.commands.map((c) => c.command),
      validation: plan.metadata.validationPolicy?.commands ?? [],
    };
  } catch {
    return undefined; // a plan that does not read is plan check's to report, not the request's
  }
};

/** Change requests go in through the one submit path (validation, ownership, signing); any refusal undoes all. */
export const enqueueInto =
  (repo: Repo): Enqueue =>
  (crs, opts) => {
    const queue = createQueue(repo.db, { secret: readSecret(repo.loc), config: repo.config.queue });
    const { enqueued, rejected } = submitChanges(repo, queue, crs, { priority: opts.priority });
    const first = rejected[0];
    if (first) {
      throw new HyperionError(asCode(first.code), `change for task ${first.task_id}: ${first.message}`, {
        exitCode: 1,
        hint: "nothing was enqueued; rerun with HYPERION_LOG=1 to see the agents' output",
      });
    }
    return enqueued.map((e) => ({ id: e.id, task_id: e.task_id, paths: e.paths, status: e.status }));
  };

const textOf = (r: RequestResult, repoArg: string | undefined): string => {
  const where = repoArg ? ` --repo ${repoArg}` : "";
  const lines = [
    `request ${r.request_id}: ${r.status}${r.kind ? ` (${r.kind}, risk ${r.risk})` : ""}, agent ${r.agent}${r.fallback ? ", FALLBACK to stub" : ""}`,
  ];
  for (const f of r.fallbacks) {
    lines.push(
      `  fallback: ${f.role}${f.task_id ? ` ${f.task_id}` : ""}: ${f.agent}'s output refused (${f.reason}); the stub's was used`,
    );
  }
  r.questions.forEach((q, i) => {
    lines.push(`  ${i + 1}. ${q}`);
  });
  for (const a of r.assumptions) lines.push(`  assumed: ${a}`);
  for (const t of r.tasks) {
    lines.push(
      `  task ${t.id}  ${t.status}  ~${t.estimated_tokens} tokens  owns ${t.owned_paths.join(", ")}${t.context_paths.length ? `  reads ${t.context_paths.join(", ")}` : ""}${t.fallback ? "  (stub fallback)" : ""}`,
    );
  }
  for (const c of r.change_requests)
    lines.push(`  change ${c.id ?? "(dry run)"}  ${c.status}  ${c.task_id}  ${c.paths.join(", ")}`);
  if (r.status === "needs_clarification") {
    lines.push(
      `answer with: hyperion answer ${r.request_id} --file answers.json${where}  (or --yes to proceed on assumptions)`,
    );
  } else if (r.status === "enqueued") {
    lines.push(`next: hyperion run --until-empty${where}`);
  }
  return `${lines.join("\n")}\n`;
};

/** Prints a request's result; exit 3 while it waits for a person's answers. */
export const printResult = (r: RequestResult, format: string, repoArg: string | undefined): number => {
  if (format === "json") outJson(r);
  else outText(textOf(r, repoArg));
  return r.status === "needs_clarification" ? 3 : 0;
};
