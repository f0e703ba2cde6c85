import type { QueueConfig } from "./types.ts";

/**
 * Delay before attempt `attempts + 1` after a retryable failure: base doubling per attempt,
 * capped, then "equal jitter" (between half and all of it) so retries do not arrive in step.
 */
export const retryDelay = (
  attempts: number,
  config: Pick<QueueConfig, "backoff_base_ms" | "backoff_max_ms">,
  random: () => number = Math.random,
): number => {
  const full = Math.min(config.backoff_max_ms, config.backoff_base_ms * 2 ** Math.max(0, attempts - 1));
  return Math.round(full / 2 + (random() * full) / 2);
};
