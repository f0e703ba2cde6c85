import { timingSafeEqual } from "node:crypto";

/**
 * Queued payloads are signed with the repository's secret when enqueued and verified before
 * apply, so a row edited on disk is never applied.
 */
export const signPayload = (secret: Uint8Array, payload: string): string =>
  new Bun.CryptoHasher("sha256", secret).update(payload).digest("hex");

export const verifyPayload = (secret: Uint8Array, payload: string, signature: string): boolean => {
  const expected = Buffer.from(signPayload(secret, payload), "hex");
  const given = Buffer.from(signature, "hex");
  return given.length === expected.length && timingSafeEqual(given, expected);
};
