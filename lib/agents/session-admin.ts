import type { Database } from "bun:sqlite";
import { randomBytes, randomUUID } from "node:crypto";
import { cpSync, existsSync, mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { usageError } from "../errors.ts";
import { AgentName } from "../schema/index.ts";
import { type SessionRow, sessionsSql } from "../store/index.ts";
import { badSessionId } from "./harness/driver.ts";
import { CLIS } from "./harness/table.ts";
import { checkSessionName, maskToken, moveLegacyAgents, sessionDir } from "./session.ts";

const ROLES = ["engineer", "orchestrator", "developer"] as const;

/** What `session init` is given (the operator's flags). */
export const SessionInit = z.object({
  name: z.string().optional(),
  agent: AgentName.exclude(["stub"]).default("copilot"),
  role: z.enum(ROLES).optional(),
  resume: z.string().min(1).max(200).regex(/^\S+$/, "a resume token has no spaces").optional(),
  allow_all_tools: z.boolean().default(false),
});
export type SessionInit = z.infer<typeof SessionInit>;

/** A session as listings show it: the token masked, never in full. */
/** A stored session as listings show it: the token masked, times in ISO-8601 like every listing. */
export const SessionView = z.object({
  name: z.string(),
  agent: z.string(),
  role: z.string().nullable(),
  token: z.string(),
  started: z.boolean(),
  allow_all_tools: z.boolean(),
  created_at: z.string(),
  last_used_at: z.string().nullable(),
});
export type SessionView = z.infer<typeof SessionView>;

const isoTime = (ms: number): string => new Date(ms).toISOString();

export const viewSession = (r: SessionRow): SessionView => ({
  name: r.name,
  agent: r.agent,
  role: r.role,
  token: maskToken(r.resume_token),
  started: r.started === 1,
  allow_all_tools: r.allow_all_tools === 1,
  created_at: isoTime(r.created_at),
  last_used_at: r.last_used_at === null ? null : isoTime(r.last_used_at),
});

export type InitResult = {
  session: SessionView;
  /** Its private home. */
  home: string;
  /** Whether the CLI's state for the token was found in the operator's home and brought along. */
  state: "brought" | "absent" | "not-needed";
};

/**
 * Stores a session. A token from the operator's own CLI session needs that session's state in
 * the private home, or the CLI will not find it: where the CLI's layout is known (copilot), the
 * state is copied from the operator's home; otherwise the result says it is absent.
 */
export const initSession = (
  repo: string,
  db: Database,
  given: SessionInit,
  env: Record<string, string | undefined> = process.env,
): InitResult => {
  const spec = CLIS[given.agent];
  const name = checkSessionName(given.name ?? `${given.agent}-${randomBytes(3).toString("hex")}`);
  // An id shaped like an option (`--dangerously-skip-permissions`) would reach the CLI as one.
  if (given.resume !== undefined && !spec.sessionId.test(given.resume))
    throw badSessionId(spec, given.resume, "--resume");
  const sql = sessionsSql(db);
  if (sql.get(name)) {
    throw usageError(
      "E_SESSION_EXISTS",
      `session ${name} already exists`,
      "choose another --name, or `hyperion session rm` it first",
    );
  }
  moveLegacyAgents(repo, env);
  const home = join(sessionDir(repo, name, env), "home");
  let state: InitResult["state"] = "not-needed";
  if (given.resume) {
    state = "absent";
    const rel = spec.sessionState?.(given.resume);
    const operatorHome = env.HOME;
    const src =
      rel && operatorHome
        ? given.agent === "copilot" && env.COPILOT_HOME
          ? join(env.COPILOT_HOME, rel.replace(/^\.copilot\//, ""))
          : join(operatorHome, rel)
        : null;
    if (src && existsSync(src)) {
      cpSync(src, join(home, rel!), { recursive: true });
      state = "brought";
    }
  }
  mkdirSync(home, { recursive: true, mode: 0o700 });
  sql.insert({
    name,
    agent: given.agent,
    role: given.role ?? null,
    // Hyperion names sessions of CLIs that take an id, so it knows the id before the first run.
    resume_token: given.resume ?? (spec.namesSessions === "hyperion" ? randomUUID() : null),
    started: given.resume ? 1 : 0,
    allow_all_tools: given.allow_all_tools ? 1 : 0,
    created_at: Date.now(),
  });
  return { session: viewSession(sql.get(name)!), home, state };
};

/** Deletes a stored session and its private home. */
export const removeSession = (
  repo: string,
  db: Database,
  name: string,
  env: Record<string, string | undefined> = process.env,
): void => {
  checkSessionName(name);
  if (!sessionsSql(db).remove(name)) {
    throw usageError("E_SESSION_NOT_FOUND", `no stored session ${name}`, "see `hyperion session list`");
  }
  moveLegacyAgents(repo, env);
  rmSync(sessionDir(repo, name, env), { recursive: true, force: true });
};
