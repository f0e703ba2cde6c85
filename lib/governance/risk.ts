import { existsSync, readFileSync, statSync } from "node:fs";
import { isAbsolute, join, normalize, relative } from "node:path";
import { z } from "zod";
import { patchLineCounts } from "../patch/stats.ts";
import type { ChangeRequest, RiskConfig } from "../schema/index.ts";
import { Risk } from "../schema/index.ts";
import { parseCommandLine } from "./argv.ts";
import { scanBidi, scanSecrets } from "./secrets.ts";
import type { Workplan } from "./workplan.ts";

export const RiskAssessment = z.object({
  score: z.number(),
  level: Risk,
  /** True when the change must wait for a person. */
  needs_approval: z.boolean(),
  reasons: z.array(z.object({ rule: z.string(), path: z.string().nullable(), weight: z.number() })),
  /**
   * What holds the change for a person whatever its score: credentials (redacted), bidi
   * controls, agent instruction or configuration files, git metadata.
   */
  holds: z.array(z.object({ rule: z.string(), path: z.string(), line: z.number().nullable() })).default([]),
});
export type RiskAssessment = z.infer<typeof RiskAssessment>;

/**
 * Why a change is held, one line per reason ("rule: path (+weight)"), from the assessment logged
 * with its `held_for_approval` event; an event that does not parse gives no reasons.
 */
export const heldReasons = (data: unknown): string[] => {
  const parsed = RiskAssessment.safeParse(data);
  if (!parsed.success) return [];
  return [
    ...parsed.data.holds.map(
      (h) => `${h.rule}: ${h.path}${h.line === null ? "" : `:${h.line}`} (always held)`,
    ),
    ...parsed.data.reasons.map((r) => `${r.rule}${r.path === null ? "" : `: ${r.path}`} (+${r.weight})`),
  ];
};

// Files coding agents read as instructions or permissions (an auto-approve switch in
// .vscode/settings.json, a new rule in CLAUDE.md): a person decides, whatever the operator's paths.
const AGENT_FILES = new Bun.Glob(
  "{**/,}{.vscode/**,.claude/**,.cursor/**,.gemini/**,.codex/**,.copilot/**,AGENTS.md,CLAUDE.md,CLAUDE.local.md,GEMINI.md,.cursorrules,.windsurfrules,.github/copilot-instructions.md,.github/instructions/**,.github/prompts/**}",
);
// Git metadata outside .git/ (which is refused): a bare repository's shape, whose config can name
// commands (core.fsmonitor, core.sshCommand) that git runs when it walks into the directory.
const GIT_SHAPE =
  /(^|\/)(HEAD|packed-refs|config|objects\/[0-9a-f]{2}\/[0-9a-f]{38}|refs\/(heads|tags)\/[^/]+)$/;
const GIT_CONFIG_TEXT =
  /^\+\s*(\[(core|remote|filter|diff|merge|alias|include|includeIf)\b|(fsmonitor|hooksPath|sshCommand|pager|editor|askPass|gitProxy)\s*=)/im;
const GIT_HEAD_TEXT = /^\+(ref: refs\/|[0-9a-f]{40}$)/m;

/** Holds that no policy lowers: see RiskAssessment.holds. */
const holdsOf = (cr: ChangeRequest, credentials: readonly string[]): RiskAssessment["holds"] => {
  const holds: RiskAssessment["holds"] = [];
  for (const f of scanSecrets(cr.changes, credentials))
    holds.push({ rule: `${f.rule} (${f.redacted})`, path: f.path, line: f.line });
  for (const f of scanBidi(cr.changes))
    holds.push({ rule: "bidi control characters (text that reads differently from how it runs)", ...f });
  for (const c of cr.changes) {
    for (const path of [c.path, c.new_path]) {
      if (path === undefined) continue;
      if (AGENT_FILES.match(path))
        holds.push({ rule: "agent instructions or configuration", path, line: null });
      const shape = GIT_SHAPE.exec(path);
      if (!shape) continue;
      const name = shape[2]!;
      const text = c.patch ?? "";
      const metadata =
        name.startsWith("objects/") ||
        name.startsWith("refs/") ||
        name === "packed-refs" ||
        (name === "config" && GIT_CONFIG_TEXT.test(text)) ||
        (name === "HEAD" && GIT_HEAD_TEXT.test(text));
      if (metadata) holds.push({ rule: "git metadata (a nested or bare repository)", path, line: null });
    }
  }
  return holds;
};

/**
 * Scores a change request against the operator's policy; `credentials` are the values Hyperion
 * hands to agents (handedCredentials), found verbatim on an added line they hold the change.
 */
export const assessRisk = (
  cr: ChangeRequest,
  policy: RiskConfig,
  validationInputs: ReadonlySet<string> = new Set(),
  credentials: readonly string[] = [],
) => {
  const reasons: RiskAssessment["reasons"] = [];
  const globs = policy.paths.map((r) => ({ ...r, matcher: new Bun.Glob(r.glob) }));
  const add = (rule: string, path: string | null, weight: number) => {
    if (weight > 0) reasons.push({ rule, path, weight });
  };
  const paths = new Set<string>();
  let lines = 0;
  for (const change of cr.changes) {
    for (const path of [change.path, change.new_path]) if (path !== undefined) paths.add(path);
    if (change.operation === "delete") add("delete", change.path, policy.delete_weight);
    if (change.operation === "rename") add("rename", change.path, policy.rename_weight);
    if (/^(new file mode|new mode) 100755$/m.test(change.patch ?? ""))
      add("executable", change.path, policy.executable_weight);
    const { added, removed } = patchLineCounts(change.patch);
    lines += added + removed;
  }
  for (const path of paths) {
    for (const rule of globs) if (rule.matcher.match(path)) add(rule.reason, path, rule.weight);
    if (validationInputs.has(path))
      add("executed or loaded by a validation command", path, policy.validation_inputs_weight);
  }
  add(`${lines} lines changed`, null, Math.floor(lines / policy.lines_per_point));
  add(`${paths.size} files touched`, null, Math.floor(paths.size / policy.files_per_point));
  const holds = holdsOf(cr, credentials);
  const score = reasons.reduce((s, r) => s + r.weight, 0);
  const needs = score >= policy.threshold || holds.length > 0;
  return RiskAssessment.parse({
    score,
    level: needs ? "high" : score >= policy.threshold / 2 ? "medium" : "low",
    needs_approval: needs,
    reasons,
    holds,
  });
};

const insideRepo = (repo: string, candidate: string): string | null => {
  const abs = isAbsolute(candidate) ? candidate : join(repo, candidate);
  const rel = relative(repo, normalize(abs));
  if (rel === "" || rel.startsWith("..") || isAbsolute(rel)) return null;
  try {
    return statSync(abs).isFile() ? rel.split("\\").join("/") : null;
  } catch {
    return null;
  }
};

// Files a command line names that an interpreter would run (`bun run x.ts`, `sh x.sh`).
const CODE = /\.(sh|bash|zsh|ts|tsx|mts|cts|js|jsx|mjs|cjs|py|rb|pl|php|lua)$/;

/**
 * Repository files that decide what the validation commands execute: a program named by path,
 * scripts named on the plan's command lines, and the test preloads bunfig.toml lists.
 */
export const validationInputs = (repo: string, plan: Workplan | null): Set<string> => {
  const found = new Set<string>();
  for (const c of plan?.commands ?? []) {
    let argv: string[];
    try {
      argv = parseCommandLine(c.command);
    } catch {
      continue;
    }
    argv.forEach((word, i) => {
      if (i > 0 && !CODE.test(word)) return;
      if (i === 0 && !word.includes("/")) return; // found on PATH, not in the repository
      const rel = insideRepo(repo, word);
      if (rel) found.add(rel);
    });
  }
  const bunfig = join(repo, "bunfig.toml");
  if (existsSync(bunfig)) {
    const text = readFileSync(bunfig, "utf8");
    for (const m of text.matchAll(/^\s*preload\s*=\s*(\[[^\]]*\]|"[^"]*"|'[^']*')/gm)) {
      for (const q of m[1]!.matchAll(/["']([^"']+)["']/g)) {
        const rel = insideRepo(repo, q[1]!);
        if (rel) found.add(rel);
      }
    }
  }
  return found;
};
