import type { EngineerOutput, Kind, Risk } from "../../schema/index.ts";
import { editPaths } from "../edits.ts";
import type { EngineerInput } from "../harness.ts";
import { matchesAny } from "../repo-files.ts";

/** Files whose change alters what validation runs or how the project builds: a person looks first. */
const SENSITIVE = [
  "package.json",
  "bun.lock",
  "bun.lockb",
  "bunfig.toml",
  "tsconfig.json",
  "WORKPLAN.md",
  ".ci/**",
  ".github/**",
];

/** Kind from the words of the request: what a person would guess from the title. */
export const classify = (text: string, paths: string[]): Kind => {
  const t = text.toLowerCase();
  if (paths.length > 0 && paths.every((p) => p.endsWith(".md"))) return "docs";
  if (/\b(fix|fixes|bug|bugfix|crash|broken|regression|wrong)\b/.test(t)) return "bugfix";
  if (/\b(refactor|rename|move|extract|clean ?up|restructure|split|simplify)\b/.test(t)) return "refactor";
  if (/\b(docs?|document\w*|readme|comments?)\b/.test(t)) return "docs";
  return "feature";
};

const riskOf = (input: EngineerInput, paths: string[]): Risk => {
  const edits = input.request.edits;
  const deletes = edits.filter((e) => e.op === "delete").length;
  if (paths.some((p) => matchesAny(p, SENSITIVE)) || deletes > 3) return "high";
  if (deletes > 0 || edits.some((e) => e.op === "rename") || paths.length > 5) return "medium";
  return "low";
};

const declined = (answer: string) => /^\s*(no|n)\b/i.test(answer);

/**
 * The deterministic Engineer: scope is the request's scope, else the files its edits touch. It asks
 * when there is nothing to do and when an edit leaves the stated scope; an answer starting with
 * "no" leaves that edit out, any other answer (or `--yes`) widens the scope to take it in.
 */
export const stubEngineer = (input: EngineerInput): EngineerOutput => {
  const { request } = input;
  const edits = request.edits;
  const paths = [...new Set(edits.flatMap(editPaths))];
  const include = [...(request.scope?.include ?? [])];
  const exclude = [...(request.scope?.exclude ?? [])];
  if (include.length === 0) include.push(...paths);
  const questions: string[] = [];
  const assumptions: string[] = [];

  /** A question is asked once; its answer (or --yes) decides and becomes an assumption. */
  const ask = (question: string, onYes: () => void, onNo: () => void = () => {}) => {
    const answered = input.answers.find((a) => a.question === question);
    if (answered) {
      assumptions.push(`${question} -> ${answered.answer}`);
      if (declined(answered.answer)) onNo();
      else onYes();
    } else if (input.assume) {
      assumptions.push(`Assumed yes: ${question}`);
      onYes();
    } else questions.push(question);
  };

  if (edits.length === 0) {
    ask(
      "The request carries no edits: which files should change, and how? (answer with edits in answers.json)",
      () => {},
    );
  }
  edits.forEach((edit, i) => {
    for (const p of editPaths(edit)) {
      const left = !matchesAny(p, include);
      const excluded = matchesAny(p, exclude);
      if (!left && !excluded) continue;
      const why = excluded
        ? `excluded by the scope (${exclude.join(", ")})`
        : `outside the scope (${include.join(", ")})`;
      ask(
        `Edit ${i + 1} (${edit.op} ${p}) is ${why}: change it anyway?`,
        () => {
          include.push(p);
          // Exclusion wins over inclusion, so the patterns that caught this path go.
          exclude.splice(0, exclude.length, ...exclude.filter((x) => !matchesAny(p, [x])));
        },
        () => exclude.push(p),
      );
    }
  });

  const criteria = request.acceptance.length
    ? request.acceptance
    : edits.length
      ? ["The requested edits are applied exactly as written."]
      : [];
  return {
    kind: request.kind ?? classify(`${request.title}\n${request.description}`, paths),
    summary: request.description.trim()
      ? `${request.title}: ${request.description.trim()}`.slice(0, 2_000)
      : request.title,
    include: [...new Set(include)],
    exclude: [...new Set(exclude)],
    acceptance_criteria: criteria,
    risk: riskOf(input, paths),
    open_questions: questions,
    assumptions,
  };
};
