/*
 * What a change leaves at a file, kept in change_results while the change is open: enqueue stores
 * what validation computed, and a change stacked on it later validates against it instead of
 * replaying the changes ahead. zstd of the UTF-8 bytes (source text: about 5:1).
 */

export const packResult = (text: string): Uint8Array => Bun.zstdCompressSync(Buffer.from(text), { level: 1 });

export const unpackResult = (bytes: Uint8Array): string =>
  Buffer.from(Bun.zstdDecompressSync(bytes)).toString("utf8");
