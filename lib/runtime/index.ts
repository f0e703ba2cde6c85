export * from "./applier.ts";
export * from "./outcome.ts";
export * from "./pool.ts";
export * from "./progress.ts";
export * from "./run.ts";
export * from "./submit.ts";
export * from "./watch.ts";
