/**
 * A minimal "any other CLI" for the `command` harness: `echo-agent --ask <prompt> --model <m>`.
 * It answers an Engineer prompt with the stub's brief in prose and records its argv and env.
 */
import { appendFileSync } from "node:fs";
import { stubEngineer } from "../../../lib/agents/index.ts";

const args = process.argv.slice(2);
const at = (flag: string) => args[args.indexOf(flag) + 1];
if (args.length !== 6 || args[0] !== "--ask" || args[2] !== "--model" || args[4] !== "--in") {
  process.stderr.write(`usage: echo-agent --ask PROMPT --model M --in DIR (got ${JSON.stringify(args)})\n`);
  process.exit(2);
}
const prompt = at("--ask")!;
if (process.env.HYPERION_STANDIN_LOG)
  appendFileSync(
    process.env.HYPERION_STANDIN_LOG,
    `${JSON.stringify({ cli: "echo-agent", argv: args, cwd: process.cwd(), pid: process.pid, home: process.env.HOME, env: Object.keys(process.env).sort() })}\n`,
  );
if (process.env.HYPERION_STANDIN === "fail") {
  process.stderr.write("echo-agent: out of ideas\n");
  process.exit(7);
}
const input = JSON.parse(prompt.slice(prompt.lastIndexOf("Input:\n") + 7));
process.stdout.write(`Thinking...\nMy answer:\n${JSON.stringify(stubEngineer(input))}\n`);
