import { createHash } from "node:crypto";

/** SHA-256 of bytes (strings are hashed as UTF-8), 64 lowercase hex digits. */
export const sha256Hex = (data: string | Uint8Array): string =>
  createHash("sha256").update(data).digest("hex");
