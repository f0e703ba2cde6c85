import { EngineerOutput, type ScopeBrief } from "../../schema/index.ts";
import { type AgentContext, turnOptions } from "../context.ts";
import type { EngineerInput } from "../harness.ts";
import { runTurn, type TurnOutcome } from "../turn.ts";

/**
 * The Engineer's turn: the request's brief. A kind the person gave is kept whatever the agent
 * says, and the request id is Hyperion's, not an echo from the agent.
 */
export const runEngineer = async (
  ctx: AgentContext,
  input: EngineerInput,
): Promise<{ brief: ScopeBrief; turn: TurnOutcome<EngineerOutput> }> => {
  const turn = await runTurn({ role: "engineer", input }, { ...turnOptions(ctx), contract: EngineerOutput });
  const brief: ScopeBrief = {
    ...turn.output,
    request_id: input.request.id,
    kind: input.request.kind ?? turn.output.kind,
  };
  if (input.assume && brief.open_questions.length > 0) {
    // --yes: an agent that still asks has its questions taken as assumptions.
    brief.assumptions = [...brief.assumptions, ...brief.open_questions.map((q) => `Assumed yes: ${q}`)];
    brief.open_questions = [];
  }
  return { brief, turn };
};
