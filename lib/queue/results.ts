/*
 * What a change leaves at a file, kept in change_results while the change is open: enqueue stores
 * what validation computed, and a change stacked on it later validates against it instead of
 * replaying the changes ahead. A short text is stored as it is (SQLite keeps it as TEXT); a longer
 * one as zstd of its UTF-8 bytes (a BLOB; source text: about 5:1), which is worth its cost only
 * past a few hundred bytes.
 */

const PACK_FROM = 256;

export type PackedResult = string | Uint8Array;

export const packResult = (text: string): PackedResult =>
  text.length < PACK_FROM ? text : Bun.zstdCompressSync(Buffer.from(text), { level: 1 });

export const unpackResult = (stored: PackedResult): string =>
  typeof stored === "string" ? stored : Buffer.from(Bun.zstdDecompressSync(stored)).toString("utf8");
