import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { usageError } from "../errors.ts";
import { log } from "../log.ts";
import { processAlive, SELF_START } from "../process.ts";
import { repoStateDir, type SessionRow, type SessionsSql } from "../store/index.ts";

/** What a harness needs of the stored sessions. */
export type SessionStore = Pick<SessionsSql, "get" | "forRole" | "markUsed">;

/** Session names become directory names under the repository's agents directory. */
export const SESSION_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export const checkSessionName = (name: string): string => {
  if (!SESSION_NAME.test(name)) {
    throw usageError(
      "E_SESSION_NAME",
      `session name ${JSON.stringify(name)} is not allowed`,
      "use up to 64 letters, digits, dots, dashes or underscores, starting with a letter or digit",
    );
  }
  return name;
};

type Env = Record<string, string | undefined>;

/**
 * Every agent session's private home and scratch copies: `agents/` in the repository's state
 * directory, outside its tree (lib/store/state-dir.ts), so no agent finds the repository above it.
 */
export const agentsDir = (repo: string, env: Env = process.env): string =>
  join(repoStateDir(repo, env), "agents");

/** One session's directory: `home/` (its HOME, stable so `--resume` finds its state) and `work/`. */
export const sessionDir = (repo: string, name: string, env: Env = process.env): string =>
  join(agentsDir(repo, env), name);

/**
 * Moves what earlier versions kept in `<repo>/.hyperion/agents/` (stored sessions' homes, with
 * the CLIs' session state) to the state directory, once, so stored sessions still resume; the
 * shared cache and scratch copies are dropped. Nothing of it stays inside the repository.
 */
export const moveLegacyAgents = (repo: string, env: Env = process.env): void => {
  const old = join(repo, ".hyperion", "agents");
  if (!existsSync(old)) return;
  const dir = agentsDir(repo, env);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  for (const name of readdirSync(old)) {
    const home = join(old, name, "home");
    const to = join(dir, name, "home");
    if (!SESSION_NAME.test(name) || !existsSync(home) || existsSync(to)) continue;
    mkdirSync(join(dir, name), { recursive: true, mode: 0o700 });
    try {
      renameSync(home, to);
    } catch {
      cpSync(home, to, { recursive: true }); // another filesystem
    }
  }
  rmSync(old, { recursive: true, force: true });
  log.info(`moved agent sessions' homes from ${old} to ${dir}`);
};

/** A resume token as listings and logs show it: never in full. */
export const maskToken = (token: string | null): string => {
  if (!token) return "-";
  if (token.length < 12) return "****";
  return `${token.slice(0, 4)}…${token.slice(-4)}`;
};

/** The stored session a turn uses: the one pinned, else the newest for its agent and role. */
export const sessionFor = (
  agent: string,
  role: string,
  opts: { sessions?: SessionStore; pinned?: SessionRow },
): SessionRow | null => {
  // Read afresh: an earlier turn of the same session may have started it or named its token.
  if (opts.pinned) return opts.sessions?.get(opts.pinned.name) ?? opts.pinned;
  return opts.sessions?.forRole(agent, role) ?? null;
};

const held = new Map<string, Promise<unknown>>();

/** Turns that share a stored session run one at a time: a CLI's session is not safe to share at once. */
export const withSessionLock = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
  const before = held.get(name) ?? Promise.resolve();
  const mine = before.catch(() => undefined).then(fn);
  held.set(name, mine);
  try {
    return await mine;
  } finally {
    if (held.get(name) === mine) held.delete(name);
  }
};

const LockOwner = z.object({ pid: z.number().int(), start: z.string().nullable() });

/**
 * Holds a stored session's directory for one turn across processes (`turn.lock` in it, naming
 * this process): its workspace path is the same every turn, so two `hyperion` processes sharing
 * a session take turns instead of emptying each other's workspace. A lock whose owner is gone is
 * taken over; a live owner is waited for (polled) until `signal` aborts. Returns the release.
 */
export const holdSessionDir = async (dir: string, signal?: AbortSignal): Promise<() => void> => {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = join(dir, "turn.lock");
  const mine = JSON.stringify({ pid: process.pid, start: SELF_START });
  for (;;) {
    try {
      writeFileSync(file, mine, { flag: "wx", mode: 0o600 });
      return () => rmSync(file, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    }
    let owner: z.infer<typeof LockOwner> | null = null;
    try {
      owner = LockOwner.parse(JSON.parse(readFileSync(file, "utf8")));
    } catch {
      owner = null; // unreadable: half-written by its owner, or damaged; decided on the next look
    }
    if (owner && !processAlive(owner.pid, owner.start)) {
      rmSync(file, { force: true });
      continue;
    }
    if (signal?.aborted) throw signal.reason ?? new Error("aborted");
    await Bun.sleep(100);
  }
};
