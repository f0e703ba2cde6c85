import { z } from "zod";
import { RepoPath } from "./common.ts";

const Replacement = z.strictObject({
  find: z.string().min(1).describe("Exact text to find."),
  replace: z.string().describe("Text that takes its place."),
  all: z.boolean().default(false).describe("Replace every occurrence instead of exactly one."),
});

/**
 * An explicit edit a request can carry. The deterministic stub developer follows these, so a
 * request can be driven end to end with no model; Hyperion computes diffs and hashes from them.
 */
export const Edit = z.discriminatedUnion("op", [
  z.strictObject({ op: z.literal("create"), path: RepoPath, content: z.string() }),
  z
    .strictObject({
      op: z.literal("modify"),
      path: RepoPath,
      content: z.string().optional().describe("The whole new content of the file."),
      replace: z.array(Replacement).min(1).optional().describe("Find/replace pairs applied in order."),
    })
    .refine((e) => (e.content === undefined) !== (e.replace === undefined), {
      message: "a modify edit needs exactly one of 'content' or 'replace'",
    }),
  z.strictObject({ op: z.literal("delete"), path: RepoPath }),
  z.strictObject({
    op: z.literal("rename"),
    path: RepoPath,
    new_path: RepoPath,
    content: z.string().optional().describe("New content for the renamed file; unchanged when absent."),
  }),
]);
export type Edit = z.infer<typeof Edit>;
