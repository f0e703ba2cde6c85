/** SHA-256 of bytes (strings are hashed as UTF-8), 64 lowercase hex digits. */
export const sha256Hex = (data: string | Uint8Array): string => Bun.SHA256.hash(data, "hex");
