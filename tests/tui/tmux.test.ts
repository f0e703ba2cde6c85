import { afterEach, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { createQueue } from "../../lib/queue/index.ts";
import { openRepo, readSecret } from "../../lib/store/index.ts";
import { run, tmpdir } from "../_helpers.ts";
import { compiledBinary } from "../e2e/_binary.ts";
import { seedRepo } from "../ops/_seed.ts";

// A real terminal multiplexer running the compiled binary: a cap against hangs, not a speed target.
setDefaultTimeout(120_000);

let bin = "";
beforeAll(async () => {
  bin = await compiledBinary();
});

/** One private tmux server per test (its own socket), so nothing touches a person's sessions. */
let socket = "";
let socketPath = "";
const tmux = async (...args: string[]) => {
  const r = await run(["tmux", "-L", socket, "-f", "/dev/null", ...args]);
  if (r.exitCode !== 0) throw new Error(`tmux ${args[0]}: ${r.stderr}`);
  return r.stdout;
};
const screen = () => tmux("capture-pane", "-p", "-t", "dash");
/** Polls the pane until `pred` holds for its text, or fails with the last screen after the deadline. */
const until = async (pred: (text: string) => boolean, what: string, ms = 20_000): Promise<string> => {
  const deadline = Date.now() + ms;
  let last = "";
  while (Date.now() < deadline) {
    last = await screen();
    if (pred(last)) return last;
    await Bun.sleep(50);
  }
  throw new Error(`no ${what} on screen within ${ms} ms; it shows:\n${last}`);
};
const shows = (text: string) => until((s) => s.includes(text), JSON.stringify(text));
let statusFile = "";
/** Polls `read` until it gives a value, or fails naming `what` after the deadline. */
const poll = async <T>(read: () => Promise<T | undefined>, what: string, ms = 20_000): Promise<T> => {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const v = await read();
    if (v !== undefined) return v;
    await Bun.sleep(50);
  }
  throw new Error(`no ${what} within ${ms} ms; the pane shows:\n${await screen()}`);
};
const alternateScreen = async () =>
  (await tmux("display-message", "-p", "-t", "dash", "#{alternate_on}")).trim();
/**
 * The exit status of `hyperion tui`, which the shell around it writes to a file (tmux may keep an
 * exited pane's process unreaped, without a status, for a while), once the terminal is back on
 * its normal screen: the alternate screen was left, as it is when the terminal is restored.
 */
const exited = async (): Promise<number> => {
  const status = await poll(
    async () => (existsSync(statusFile) && readFileSync(statusFile, "utf8").trim()) || undefined,
    "exit status",
  );
  await poll(
    async () => ((await alternateScreen()) === "0" ? true : undefined),
    "return to the normal screen",
  );
  return Number(status);
};

const start = async (repo: string) => {
  socket = `hyperion-tui-${process.pid}-${Math.random().toString(36).slice(2)}`;
  statusFile = join(repo, "tui-exit-status");
  const cmd = `${bin} tui --repo ${repo}; echo $? > ${statusFile}`;
  await tmux(
    "new-session",
    "-d",
    "-s",
    "dash",
    "-x",
    "80",
    "-y",
    "24",
    cmd,
    ";",
    "set-option",
    "-t",
    "dash",
    "remain-on-exit",
    "on",
  );
  socketPath = (await tmux("display-message", "-p", "#{socket_path}")).trim();
  const first = await shows("Queue insights");
  // The dashboard draws on the alternate screen, so leaving it is what restoring looks like.
  expect(await alternateScreen()).toBe("1");
  return first;
};

afterEach(async () => {
  await run(["tmux", "-L", socket, "kill-server"]);
  // The server leaves its socket file behind.
  if (socketPath) rmSync(socketPath, { force: true });
  socketPath = "";
});

describe("hyperion tui in tmux (compiled binary)", () => {
  test("draws at 80x24, follows keys, approves from the dashboard, resizes and quits restoring the terminal", async () => {
    await using dir = await tmpdir();
    seedRepo(dir.path);
    const first = await start(dir.path);
    expect(first).toMatch(/depth queued 2 leased 0 awaiting 1 dead 1 applied 1/);
    expect(first).toContain("[Changes] Requests Logs Files (5)");
    // No tracing text reaches the screen: every line is part of the frame.
    expect(first.split("\n")[0]).toStartWith("Hyperion ");

    await tmux("send-keys", "-t", "dash", "?");
    await shows("Help (any key closes)");
    await tmux("send-keys", "-t", "dash", "x");
    await until((s) => !s.includes("Help (any key closes)") && s.includes("Queue insights"), "help closed");

    await tmux("send-keys", "-t", "dash", "j");
    await shows("c4 · awaiting_approval");
    await tmux("send-keys", "-t", "dash", "a");
    await shows("approve c4? y");
    await tmux("send-keys", "-t", "dash", "y");
    await shows("c4 approved: queued");
    {
      using repo = openRepo({ repo: dir.path });
      const queue = createQueue(repo.db, { secret: readSecret(repo.loc), config: repo.config.queue });
      expect(queue.get("c4")!.status).toBe("queued");
    }

    await tmux("send-keys", "-t", "dash", "+");
    await shows("refresh 0.5s");

    await tmux("resize-window", "-t", "dash", "-x", "140", "-y", "40");
    await until((s) => /│c4 +queued +a2 +0\/\d+ +change c4/.test(s), "the wide change list");

    await tmux("send-keys", "-t", "dash", "q");
    expect(await exited()).toBe(0);
  });

  test("Ctrl-C quits with status 0 and restores the terminal", async () => {
    await using dir = await tmpdir();
    seedRepo(dir.path);
    await start(dir.path);
    await tmux("send-keys", "-t", "dash", "C-c");
    expect(await exited()).toBe(0);
  });

  test("a decision taken by another process shows up at the next poll", async () => {
    await using dir = await tmpdir();
    seedRepo(dir.path);
    await start(dir.path);
    const r = await run([bin, "reject", "c4", "--reason", "elsewhere", "--repo", dir.path]);
    expect(r.exitCode).toBe(0);
    await until((s) => /│c4 +rejected/.test(s) && s.includes("awaiting 0"), "c4 rejected");
  });
});
