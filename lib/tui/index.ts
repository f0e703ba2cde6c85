export * from "./app.ts";
export * from "./data.ts";
export * from "./help.ts";
export * from "./view.ts";
