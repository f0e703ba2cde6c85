import type { Database } from "bun:sqlite";
import { z } from "zod";
import { writeTx } from "./write-tx.ts";

/** An agent_sessions row as read back: parsed, because rows on disk could have been edited. */
export const SessionRow = z.object({
  name: z.string(),
  agent: z.string(),
  role: z.string().nullable(),
  resume_token: z.string().nullable(),
  started: z.number().int(),
  allow_all_tools: z.number().int(),
  created_at: z.number().int(),
  last_used_at: z.number().int().nullable(),
});
export type SessionRow = z.infer<typeof SessionRow>;

export type NewSession = Omit<SessionRow, "last_used_at">;

/** The agents' stored sessions (agent_sessions), every statement prepared once per connection. */
export const sessionsSql = (db: Database) => {
  const insert = db.query(
    `INSERT INTO agent_sessions (name, agent, role, resume_token, started, allow_all_tools, created_at)
     VALUES ($name, $agent, $role, $resume_token, $started, $allow_all_tools, $created_at)`,
  );
  const get = db.query("SELECT * FROM agent_sessions WHERE name = ?");
  const list = db.query("SELECT * FROM agent_sessions ORDER BY created_at DESC, name LIMIT ?");
  // A session of this role first, else one for any role; the most recently used wins.
  const forRole = db.query(
    `SELECT * FROM agent_sessions WHERE agent = ? AND (role = ? OR role IS NULL)
     ORDER BY role IS NULL, coalesce(last_used_at, created_at) DESC, name LIMIT 1`,
  );
  const used = db.query(
    `UPDATE agent_sessions SET last_used_at = $now, started = 1,
       resume_token = coalesce($resume_token, resume_token)
     WHERE name = $name`,
  );
  const remove = db.query("DELETE FROM agent_sessions WHERE name = ?");

  return {
    /** Stores a session; a used name fails on the primary key. */
    insert: (s: NewSession): void => writeTx(db, () => void insert.run(s)),
    /** One session, or null. */
    get: (name: string): SessionRow | null => {
      const row = get.get(name);
      return row ? SessionRow.parse(row) : null;
    },
    /** The newest sessions first. */
    list: (limit: number): SessionRow[] => list.all(limit).map((r) => SessionRow.parse(r)),
    /** The stored session a turn of `role` with `agent` resumes, or null. */
    forRole: (agent: string, role: string): SessionRow | null => {
      const row = forRole.get(agent, role);
      return row ? SessionRow.parse(row) : null;
    },
    /** Records a turn: last use, started, and the token the CLI named (kept when null). */
    markUsed: (name: string, now: number, resumeToken: string | null): void =>
      writeTx(db, () => void used.run({ name, now, resume_token: resumeToken })),
    /** Deletes a session; true when it existed. */
    remove: (name: string): boolean => writeTx(db, () => remove.run(name).changes > 0),
  };
};
export type SessionsSql = ReturnType<typeof sessionsSql>;
