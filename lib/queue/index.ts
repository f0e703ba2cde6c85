export type { QueueOptions } from "./_context.ts";
export type { ArchiveOptions } from "./archive.ts";
export { retryDelay } from "./backoff.ts";
export type { LeaseOptions } from "./lease.ts";
export { type Latency, MetricsSnapshot } from "./metrics.ts";
export { notFound } from "./outcome.ts";
export { ownerGone, ownerId, parseOwner } from "./owner.ts";
export { createQueue, type Queue } from "./queue.ts";
export * from "./types.ts";
