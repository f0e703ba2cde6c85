import { HyperionError } from "../errors.ts";

/** A task's planned status (null when ad hoc) and its changes counted by status. */
export type TaskState = { status: string | null; changes: Record<string, number> };

const OPEN = ["queued", "leased", "awaiting_approval"];
const DONE = ["applied", "rejected", "rolled_back"];

const count = (s: TaskState, statuses: readonly string[]) =>
  statuses.reduce((n, status) => n + (s.changes[status] ?? 0), 0);

/**
 * Whether a task may take one more change: a planned task that finished (it proposed nothing, or
 * its changes were all applied, rejected or rolled back) takes none, so an agent cannot reopen
 * work a person closed; and no task holds more than `maxOpen` open changes at once, so one task
 * cannot crowd out every other. `adding` counts the changes of this submission already taken.
 */
export const checkTaskTakes = (taskId: string, state: TaskState, adding: number, maxOpen: number): void => {
  const open = count(state, OPEN);
  if (state.status === "no_changes" || (state.status !== null && open === 0 && count(state, DONE) > 0)) {
    throw new HyperionError("E_TASK_CLOSED", `task ${taskId} is finished; it takes no more changes`, {
      hint: "file a new request for further work",
      details: { task_id: taskId, changes: state.changes },
    });
  }
  if (open + adding >= maxOpen) {
    throw new HyperionError(
      "E_TASK_CAP",
      `task ${taskId} already has ${open + adding} open changes, the most one task may have (limits.max_open_changes_per_task)`,
      {
        hint: "wait for its changes to apply, or raise limits.max_open_changes_per_task",
        details: { task_id: taskId, open: open + adding },
      },
    );
  }
};
