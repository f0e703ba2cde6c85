import type { AgentHarness, TurnRequest } from "../harness.ts";
import { stubDeveloper } from "./developer.ts";
import { stubEngineer } from "./engineer.ts";
import { stubOrchestrator } from "./orchestrator.ts";

export { stubDeveloper } from "./developer.ts";
export { classify, stubEngineer } from "./engineer.ts";
export { localImports, stemOf, stubOrchestrator } from "./orchestrator.ts";

const answer = (req: TurnRequest): unknown => {
  switch (req.role) {
    case "engineer":
      return stubEngineer(req.input);
    case "orchestrator":
      return stubOrchestrator(req.input, req.repo);
    case "developer":
      return stubDeveloper(req.input);
  }
};

/** The deterministic harness: no model, no network; follows the request's explicit edits. */
export const createStubHarness = (): AgentHarness => ({
  name: "stub",
  turn: async (req) => {
    const started = performance.now();
    const json = answer(req);
    const text = JSON.stringify(json);
    return {
      text,
      json,
      usage: {
        input_tokens: Math.ceil(req.prompt.length / 4),
        output_tokens: Math.ceil(text.length / 4),
        duration_ms: Math.round(performance.now() - started),
      },
    };
  },
});
