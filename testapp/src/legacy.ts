/** Kept for old callers; nothing imports it any more. */
export const LEGACY_GREETING = "Hi";
