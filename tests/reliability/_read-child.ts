// Reads its input the way every command does and reports the outcome and its own peak memory.
import { readFileSync } from "node:fs";
import { HyperionError } from "../../lib/errors.ts";
import { readBoundedInput } from "../../lib/input.ts";
import { parseJsonText } from "../../lib/schema/index.ts";

const peakKb = () => Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync("/proc/self/status", "utf8"))?.[1] ?? -1);
let code = "ok";
try {
  const { text, source } = readBoundedInput(process.argv[2] ?? "-");
  parseJsonText(text, source);
} catch (e) {
  code = e instanceof HyperionError ? e.code : `unexpected: ${String(e)}`;
}
process.stdout.write(`${JSON.stringify({ code, peak_kb: peakKb() })}\n`);
