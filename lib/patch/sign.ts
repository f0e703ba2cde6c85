import { timingSafeEqual } from "node:crypto";
import { sha256Hex } from "./hash.ts";

/** What a queued payload's signature binds: whose queue, which change, which bytes. */
export type Signed = {
  /** The repository's id (lib/store repositoryId), so a copy into another repository never verifies. */
  repository: string;
  /** The queue row's change id. */
  id: string;
  /** The payload as stored. */
  payload: string;
};

// A version tag and NUL separators: no two field lists give one message.
const message = (s: Signed) => `hyperion-payload-v2\0${s.repository}\0${s.id}\0${sha256Hex(s.payload)}`;

/**
 * Queued payloads are signed with the repository's secret when enqueued and verified before
 * apply, so a row edited on disk, moved to another change id or copied into another repository
 * is never applied.
 */
export const signPayload = (secret: Uint8Array, signed: Signed): string =>
  new Bun.CryptoHasher("sha256", secret).update(message(signed)).digest("hex");

export const verifyPayload = (secret: Uint8Array, signed: Signed, signature: string): boolean => {
  const expected = Buffer.from(signPayload(secret, signed), "hex");
  const given = Buffer.from(signature, "hex");
  return given.length === expected.length && timingSafeEqual(given, expected);
};
