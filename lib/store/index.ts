export * from "./migrations.ts";
export * from "./open.ts";
export * from "./paths.ts";
export * from "./workspace.ts";
