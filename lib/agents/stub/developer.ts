import type { DeveloperOutput, ProposedFile } from "../../schema/index.ts";
import { applyEdits } from "../edits.ts";
import type { DeveloperInput } from "../harness.ts";

/**
 * The deterministic Developer: plays its task's explicit edits over the files it was given and
 * proposes the resulting contents. A file renamed (possibly more than once) and not re-created
 * is proposed as one rename, so the change keeps the move rather than a delete and a create.
 */
export const stubDeveloper = (input: DeveloperInput): DeveloperOutput => {
  const { task, files } = input;
  const before = (p: string) => (Object.hasOwn(files, p) ? files[p]! : null);
  const after = applyEdits(task.edits, before, `task ${task.id} edits`);

  const origin = new Map<string, string>();
  for (const e of task.edits) {
    if (e.op !== "rename") continue;
    origin.set(e.new_path, origin.get(e.path) ?? e.path);
    origin.delete(e.path);
  }
  const out: ProposedFile[] = [];
  const done = new Set<string>();
  for (const [to, from] of origin) {
    const content = after.get(to);
    const moved = before(from) !== null && after.get(from) === null && before(to) === null;
    if (content === null || content === undefined || !moved) continue;
    out.push({ op: "rename", path: from, new_path: to, ...(content === before(from) ? {} : { content }) });
    done.add(from).add(to);
  }
  for (const [path, content] of after) {
    if (done.has(path) || content === before(path)) continue;
    out.push(content === null ? { op: "delete", path } : { op: "write", path, content });
  }
  return { summary: task.title, files: out };
};
