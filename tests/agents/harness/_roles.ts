import { stubDeveloper, stubEngineer, stubOrchestrator } from "../../../lib/agents/index.ts";

/**
 * What a mock model answers to any role's prompt in the real-CLI suites: the stub's output, as an
 * agent that follows the request's edits would give it (the Developer's in a JSON code fence).
 */
export const roleAnswer = (prompt: string, repo: string): string => {
  const input = JSON.parse(prompt.slice(prompt.lastIndexOf("Input:\n") + 7));
  if (prompt.includes("You are the Engineer.")) return JSON.stringify(stubEngineer(input));
  if (prompt.includes("You are the Orchestrator.")) return JSON.stringify(stubOrchestrator(input, repo));
  return `\`\`\`json\n${JSON.stringify(stubDeveloper(input))}\n\`\`\``;
};
