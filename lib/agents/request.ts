import { randomBytes } from "node:crypto";
import { HyperionError, isHyperionError, usageError } from "../errors.ts";
import type { Answers, TaskRequest } from "../schema/index.ts";
import { applyEdits, editPaths } from "./edits.ts";
import { readRepoFile, repoFilePath } from "./repo-files.ts";

/** A task request with its id settled (given by the person, or assigned). */
export type FiledRequest = TaskRequest & { id: string };

/** Longest request id a person may give: task ids (`<request>-t<n>`) must still fit in 128. */
const MAX_REQUEST_ID = 100;

/** `r-` + time in base 36 + 6 random hex digits: sorts by creation, unique in practice. */
export const newRequestId = (now = Date.now()): string =>
  `r-${now.toString(36)}-${randomBytes(3).toString("hex")}`;

export const fileRequest = (request: TaskRequest): FiledRequest => ({
  ...request,
  id: request.id ?? newRequestId(),
});

/**
 * Checks a request against the repository before any agent runs: every edit's path is inside the
 * repository, and the edits play in order (files exist or not as each operation needs, find
 * texts are found once). Errors name the edit (`edits[2].path: ...`) and exit 2.
 */
export const checkRequest = (request: FiledRequest, repo: string): void => {
  if (request.id.length > MAX_REQUEST_ID) {
    throw usageError(
      "E_SCHEMA",
      `request: id: longer than ${MAX_REQUEST_ID} characters`,
      "choose a shorter id",
    );
  }
  request.edits.forEach((edit, i) => {
    const named = edit.op === "rename" ? { path: edit.path, new_path: edit.new_path } : { path: edit.path };
    for (const [field, path] of Object.entries(named)) {
      try {
        repoFilePath(repo, path);
      } catch (e) {
        if (!isHyperionError(e)) throw e;
        throw new HyperionError(e.code, `edits[${i}].${field}: ${e.message}`, {
          exitCode: 2,
          hint: e.hint ?? "edits name files inside the repository, relative to its root",
          details: e.details,
        });
      }
    }
  });
  applyEdits(request.edits, (p) => readRepoFile(repo, p));
};

/** The request as the Engineer sees it after answers: their edits and scope added. */
export const withAnswers = (request: FiledRequest, answers: Answers | null): FiledRequest => {
  if (!answers) return request;
  const include = [...(request.scope?.include ?? []), ...answers.include];
  return {
    ...request,
    edits: [...request.edits, ...answers.edits],
    scope: { include, exclude: request.scope?.exclude ?? [] },
  };
};

/** Folds new answers into the ones stored; questions are matched by their text. */
export const mergeAnswers = (stored: Answers | null, added: Answers): Answers => ({
  answers: { ...(stored?.answers ?? {}), ...added.answers },
  edits: [...(stored?.edits ?? []), ...added.edits],
  include: [...(stored?.include ?? []), ...added.include],
});

/**
 * Keys answers by question text: a key may be the question's number as printed (1, 2, ...) or its
 * exact text. An answer to no open question is refused, so a typo is not silently ignored.
 */
export const keyAnswers = (questions: readonly string[], answers: Answers): Answers => {
  const byText: Record<string, string> = {};
  for (const [key, answer] of Object.entries(answers.answers)) {
    const n = /^\d+$/.test(key) ? Number(key) : Number.NaN;
    const question = Number.isInteger(n) ? questions[n - 1] : questions.find((q) => q === key);
    if (question === undefined) {
      throw usageError(
        "E_ANSWER_UNKNOWN",
        `answers: ${JSON.stringify(key)} names no open question (there are ${questions.length})`,
        "key each answer by the question's number or its exact text, as `hyperion request` printed it",
      );
    }
    byText[question] = answer;
  }
  return { ...answers, answers: byText };
};

/** Every path a request's edits touch. */
export const requestPaths = (request: TaskRequest): string[] => [
  ...new Set(request.edits.flatMap(editPaths)),
];
