export * from "./argv.ts";
export * from "./env.ts";
export * from "./plan.ts";
export * from "./posix-regex.ts";
export * from "./runner.ts";
export * from "./workplan.ts";
