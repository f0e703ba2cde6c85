/** Every status a change can have; listings and `--status` filters use these words. */
export const CHANGE_STATUS_VALUES = [
  "queued",
  "leased",
  "applied",
  "dead",
  "awaiting_approval",
  "rejected",
  "rolled_back",
] as const;

export const CHANGE_STATUSES = CHANGE_STATUS_VALUES.map((s) => `'${s}'`).join(",");
