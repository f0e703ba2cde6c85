/**
 * The suite's own state directory: signing keys and agents' homes of the thousands of temp
 * repositories tests create go here, not into the operator's ~/.local/state; removed when the run
 * ends. Bun.spawn passes the environment the process started with unless given `env:
 * process.env`, so every test that starts a Hyperion process passes it.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const dir = mkdtempSync(join(tmpdir(), "hyperion-test-state-"));
process.env.XDG_STATE_HOME = dir;
process.on("exit", () => rmSync(dir, { recursive: true, force: true }));
