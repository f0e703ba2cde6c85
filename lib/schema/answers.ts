import { z } from "zod";
import { RepoPath } from "./common.ts";
import { Edit } from "./edit.ts";

/** `hyperion answer <request> --file answers.json`: a person's answers to the Engineer's questions. */
export const Answers = z
  .strictObject({
    answers: z
      .record(z.string().min(1), z.string().min(1))
      .default({})
      .describe("Answer per open question, keyed by its number (1, 2, ...) or its exact text."),
    edits: z.array(Edit).default([]).describe("Edits added to the request."),
    include: z.array(RepoPath).default([]).describe("Paths or globs added to the request's scope."),
  })
  .meta({
    title: "Answers",
    description: "A person's answers to a request's open questions, with optional edits and scope to add.",
  });
export type Answers = z.infer<typeof Answers>;
