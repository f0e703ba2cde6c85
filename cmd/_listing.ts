import type { Column } from "../lib/ops/index.ts";
import { colourFor, renderTable } from "../lib/ops/index.ts";
import { formatArg, repoArgs } from "./_args.ts";
import { emit, io } from "./_io.ts";

/** Flags every listing takes, so their names and help read the same everywhere. */
export const listingArgs = {
  ...repoArgs,
  format: formatArg(["table", "json"], "table"),
  since: {
    type: "string",
    description: "Only rows since then: 10m, 2h, 7d, or an ISO-8601 time",
    valueHint: "WHEN",
  },
  limit: { type: "string", description: "At most N rows (default 100)", valueHint: "N" },
} as const;

/** A JSON array on stdout, or an aligned table (colour only on a terminal); `empty` when no rows. */
export const printListing = <R>(format: string, rows: R[], columns: Column<R>[], empty: string): void => {
  emit(format, rows, () =>
    rows.length === 0 ? empty : renderTable(columns, rows, { colour: colourFor(io().stdout) }),
  );
};
