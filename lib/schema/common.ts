import { z } from "zod";

/** Identifiers of requests, tasks and changes: short, printable, safe in file names and URLs. */
export const Id = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/, "letters, digits and . _ : - only, at most 128 characters")
  .describe("Identifier: letters, digits, '.', '_', ':' or '-', starting with a letter or digit.");

export const Sha256 = z
  .string()
  .regex(/^[0-9a-f]{64}$/, "64 lowercase hex digits")
  .describe("SHA-256 of a file's bytes, 64 lowercase hex digits.");

/** A repository-relative path as written by its author; lib/patch decides whether it is safe. */
export const RepoPath = z
  .string()
  .min(1)
  .max(4096)
  .describe("Path relative to the repository root, '/'-separated.");

export const Kind = z
  .enum(["feature", "bugfix", "refactor", "docs"])
  .describe("What sort of work a request is.");
export type Kind = z.infer<typeof Kind>;

export const Risk = z
  .enum(["low", "medium", "high"])
  .describe("How much a person should look before it lands.");
export type Risk = z.infer<typeof Risk>;
