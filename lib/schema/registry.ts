import { z } from "zod";
import { DeveloperOutput, EngineerOutput, OrchestratorOutput } from "./agent-output.ts";
import { Answers } from "./answers.ts";
import { ChangeRequest } from "./change-request.ts";
import { Config } from "./config.ts";
import { DeveloperTask } from "./developer-task.ts";
import { RequestResult } from "./request-result.ts";
import { ScopeBrief } from "./scope-brief.ts";
import { TaskRequest } from "./task-request.ts";

/** Every public contract by the name `hyperion schema <name>` takes. */
export const schemas = {
  "task-request": TaskRequest,
  "scope-brief": ScopeBrief,
  "developer-task": DeveloperTask,
  "change-request": ChangeRequest,
  config: Config,
  "engineer-output": EngineerOutput,
  "orchestrator-output": OrchestratorOutput,
  "developer-output": DeveloperOutput,
  answers: Answers,
  "request-result": RequestResult,
} as const;
export type SchemaName = keyof typeof schemas;
export const schemaNames = Object.keys(schemas) as SchemaName[];

export const isSchemaName = (name: string): name is SchemaName => Object.hasOwn(schemas, name);

/** JSON Schema of what a producer writes (defaults make fields optional). */
export const jsonSchemaOf = (name: SchemaName): Record<string, unknown> =>
  z.toJSONSchema(schemas[name], { io: "input", target: "draft-2020-12" }) as Record<string, unknown>;
