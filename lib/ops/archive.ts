import type { ArchiveResult } from "../queue/index.ts";
import { age } from "./time.ts";

/** One line on what an archive run moved (or, dry, would move). */
export const archiveSummary = (r: ArchiveResult, olderThanMs: number): string => {
  const edits =
    r.modifications === 0 ? "" : `, ${r.modifications} external ${r.modifications === 1 ? "edit" : "edits"}`;
  const what = `${r.moved} finished ${r.moved === 1 ? "change" : "changes"}${edits} and ${r.logs} log ${r.logs === 1 ? "event" : "events"} older than ${age(olderThanMs)}`;
  if (r.dry_run) return `would move ${what} to ${r.file} (dry run: nothing moved)`;
  if (r.moved + r.logs + r.modifications === 0)
    return `nothing to archive: no finished change older than ${age(olderThanMs)}`;
  const freed = r.reclaimed_bytes > 0 ? `; freed ${(r.reclaimed_bytes / 1048576).toFixed(1)} MB` : "";
  return `moved ${what} to ${r.file} in ${r.batches} ${r.batches === 1 ? "batch" : "batches"}${freed}`;
};
