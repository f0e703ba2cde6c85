export * from "./migrations.ts";
export * from "./open.ts";
export * from "./paths.ts";
export * from "./requests-sql.ts";
export * from "./sessions-sql.ts";
export * from "./state-dir.ts";
export * from "./workspace.ts";
export * from "./write-lock.ts";
