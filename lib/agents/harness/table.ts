import { claude } from "./clis/claude.ts";
import { codex } from "./clis/codex.ts";
import { command } from "./clis/command.ts";
import { copilot } from "./clis/copilot.ts";
import { gemini } from "./clis/gemini.ts";
import type { CliName, CliSpec } from "./spec.ts";

/** Every coding CLI Hyperion drives: one entry each, one driver for all (driver.ts). */
export const CLIS: Readonly<Record<CliName, CliSpec>> = { copilot, claude, codex, gemini, command };
