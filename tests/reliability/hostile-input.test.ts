import { describe, expect, test } from "bun:test";
import { closeSync, constants, openSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { HyperionError } from "../../lib/errors.ts";
import { MAX_INPUT_BYTES, readBoundedInput } from "../../lib/input.ts";
import { parseJsonText } from "../../lib/schema/index.ts";
import { ROOT, tmpdir } from "../_helpers.ts";

const CHILD = join(ROOT, "tests/reliability/_read-child.ts");
const MB = 1024 * 1024;
const HUGE = 200 * 1000 * 1000;

const rejects = (fn: () => unknown): HyperionError => {
  try {
    fn();
  } catch (e) {
    return e as HyperionError;
  }
  throw new Error("expected a throw");
};

/** Runs the reader in a child process of its own (its memory measured alone) on this shell input. */
const child = async (shell: string): Promise<{ code: string; peak_kb: number }> => {
  const proc = Bun.spawn(["sh", "-c", shell], { stdout: "pipe", stderr: "pipe", env: process.env });
  const [out, err] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
  await proc.exited;
  expect(err).toBe("");
  return JSON.parse(out);
};

describe("bounded input: a 200 MB request is refused while it streams in", () => {
  test("through a pipe on stdin: refused with peak memory under 100 MB", async () => {
    // head stops writing when the reader closes its end: nothing waits on the 200 MB.
    const r = await child(`head -c ${HUGE} /dev/zero 2>/dev/null | '${process.execPath}' '${CHILD}' -`);
    expect(r.code).toBe("E_INPUT_TOO_LARGE");
    expect(r.peak_kb).toBeGreaterThan(0);
    expect(r.peak_kb).toBeLessThan(100 * 1024);
  });

  test("as a file: refused by its size, before it is read", async () => {
    await using dir = await tmpdir("hyperion-hostile-");
    const big = join(dir.path, "big.json");
    writeFileSync(big, "");
    truncateSync(big, HUGE); // sparse: no disk used
    const r = await child(`'${process.execPath}' '${CHILD}' '${big}'`);
    expect(r.code).toBe("E_INPUT_TOO_LARGE");
    expect(r.peak_kb).toBeLessThan(100 * 1024);
    expect(rejects(() => readBoundedInput(big)).oneLine()).toContain(`${HUGE} bytes`);
  });

  test("an input at the limit is read; one byte over is refused", async () => {
    await using dir = await tmpdir("hyperion-hostile-");
    const path = join(dir.path, "x.json");
    writeFileSync(path, `"${"a".repeat(MB - 2)}"`);
    expect(readBoundedInput(path, { maxBytes: MB }).text.length).toBe(MB);
    expect(rejects(() => readBoundedInput(path, { maxBytes: MB - 1 })).code).toBe("E_INPUT_TOO_LARGE");
    expect(MAX_INPUT_BYTES).toBeLessThan(64 * MB);
  });
});

describe("bounded input: time, encoding and keys", () => {
  test("a stream that never ends is refused at its deadline", async () => {
    await using dir = await tmpdir("hyperion-hostile-");
    const fifo = join(dir.path, "never");
    expect(Bun.spawnSync(["mkfifo", fifo]).exitCode).toBe(0);
    // A writer that keeps the pipe open and never writes (O_RDWR does not block on a FIFO).
    const writer = openSync(fifo, constants.O_RDWR);
    try {
      const e = rejects(() => readBoundedInput(fifo, { timeoutMs: 300 }));
      expect(e.code).toBe("E_INPUT_TIMEOUT");
      expect(e.oneLine()).toContain("did not end within 300 ms");
    } finally {
      closeSync(writer);
    }
  });

  test("invalid UTF-8 is refused, never stored as replacement characters", async () => {
    await using dir = await tmpdir("hyperion-hostile-");
    const path = join(dir.path, "x.json");
    writeFileSync(path, Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]));
    expect(rejects(() => readBoundedInput(path)).code).toBe("E_INPUT_ENCODING");
  });

  test("duplicate keys are refused, naming where (the last would win silently)", () => {
    const e = rejects(() => parseJsonText('{"task_id":"t-1",\n "task_id":"t-2"}', "in.json"));
    expect(e.code).toBe("E_JSON");
    expect(e.message).toBe('in.json:2:2: duplicate key "task_id"');
    expect(rejects(() => parseJsonText(`${"[".repeat(10_000)}${"]".repeat(10_000)}`, "deep.json")).code).toBe(
      "E_JSON",
    );
  });
});
