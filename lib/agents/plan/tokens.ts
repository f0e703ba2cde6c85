import type { Edit, OrchestratorConfig } from "../../schema/index.ts";

/** Bytes an edit adds to a prompt: the text it carries. */
export const editBytes = (e: Edit): number => {
  switch (e.op) {
    case "create":
      return e.content.length;
    case "modify":
      return (
        (e.content?.length ?? 0) + (e.replace ?? []).reduce((n, r) => n + r.find.length + r.replace.length, 0)
      );
    case "rename":
      return e.content?.length ?? 0;
    case "delete":
      return 0;
  }
};

/** Estimated prompt tokens of a task: fixed overhead plus its files and edits at chars_per_token. */
export const estimateTokens = (bytes: number, limits: OrchestratorConfig): number =>
  limits.prompt_overhead_tokens + Math.ceil(bytes / limits.chars_per_token);
