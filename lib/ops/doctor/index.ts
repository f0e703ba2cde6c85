export { renderDoctor } from "./render.ts";
export { type DoctorOptions, runDoctor } from "./run.ts";
export { Check, DoctorReport, LIMITS, Repair } from "./types.ts";
