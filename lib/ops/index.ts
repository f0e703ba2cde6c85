export * from "./columns.ts";
export * from "./doctor/index.ts";
export * from "./filters.ts";
export * from "./listings.ts";
export * from "./records.ts";
export * from "./table.ts";
export * from "./time.ts";
