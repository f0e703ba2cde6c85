import { CLIS } from "../agents/harness/table.ts";
import type { AgentsConfig } from "../schema/index.ts";

/** One credential found on an added line: which rule, where, and the value redacted. */
export type SecretFinding = { rule: string; path: string; line: number; redacted: string };

/**
 * Token formats whose shape alone says "credential" (prefix, length, alphabet), so a hit is
 * almost never a false alarm. Each is anchored on word boundaries.
 */
const RULES: readonly { rule: string; re: RegExp }[] = [
  { rule: "GitHub token", re: /\bgh[pousr]_[A-Za-z0-9]{36,255}\b/g },
  { rule: "GitHub fine-grained token", re: /\bgithub_pat_[A-Za-z0-9_]{22,255}\b/g },
  { rule: "AWS access key id", re: /\b(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b/g },
  { rule: "private key", re: /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----/g },
  { rule: "Slack token", re: /\bxox[abposr]-[A-Za-z0-9-]{10,}/g },
  { rule: "Anthropic API key", re: /\bsk-ant-[A-Za-z0-9_-]{20,}/g },
  { rule: "OpenAI API key", re: /\bsk-(?!ant-)(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}/g },
  { rule: "Google API key", re: /\bAIza[0-9A-Za-z_-]{35}\b/g },
];

// Any of the formats, in one pattern: a patch holding none (most) is ruled out in one scan.
const ANY_RULE = new RegExp(RULES.map(({ re }) => `(?:${re.source})`).join("|"));

// `api_key = "..."`-style assignments of a long literal: flagged only when the literal is random
// enough (Shannon entropy over 4.2 bits a character, past what hex digests and words reach).
const ASSIGNMENT =
  /(?:secret|token|passw(?:or)?d|api[_-]?key|access[_-]?key|auth)[A-Za-z0-9_-]*["']?\s*[:=]\s*["']([A-Za-z0-9+/=_.-]{32,})["']/gi;

const entropy = (s: string): number => {
  const counts = new Map<string, number>();
  for (const c of s) counts.set(c, (counts.get(c) ?? 0) + 1);
  let h = 0;
  for (const n of counts.values()) h -= (n / s.length) * Math.log2(n / s.length);
  return h;
};

/** A credential shown by its first four characters and its length, never whole. */
export const redact = (value: string): string => `${value.slice(0, 4)}…[${value.length} chars redacted]`;

// Shorter values are too common to mean a credential (`true`, port numbers, short ids).
const MIN_HANDED = 12;
const CREDENTIAL_NAME = /TOKEN|KEY|SECRET|PASSWORD|PASSWD|CREDENTIAL|AUTH|PAT\b/i;

const matches = (name: string, pattern: string): boolean =>
  pattern.endsWith("*") ? name.startsWith(pattern.slice(0, -1)) : name === pattern;

/**
 * The credentials Hyperion hands to agents: values of the variables forwarded to any coding CLI
 * (each CLI's defaults, and what the operator's config adds) whose names say they are secrets.
 * An agent that writes one of them into the repository is leaking it.
 */
export const handedCredentials = (
  agents: AgentsConfig,
  env: Record<string, string | undefined> = process.env,
): string[] => {
  const patterns = new Set<string>();
  for (const [name, spec] of Object.entries(CLIS)) {
    const h = agents[name as keyof typeof CLIS];
    for (const p of h?.env ?? spec.env) patterns.add(p);
    for (const p of h?.env_extra ?? []) patterns.add(p);
  }
  const values = new Set<string>();
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined || value.length < MIN_HANDED || !CREDENTIAL_NAME.test(name)) continue;
    if ([...patterns].some((p) => matches(name, p))) values.add(value);
  }
  return [...values];
};

/** The lines a unified diff adds, with their line number in the new file. */
const addedLines = function* (patch: string): Generator<{ text: string; line: number }> {
  let line = 0;
  let inHunk = false;
  for (const l of patch.split("\n")) {
    const hunk = /^@@ -\d+(?:,\d+)? \+(\d+)(?:,\d+)? @@/.exec(l);
    if (hunk) {
      line = Number(hunk[1]);
      inHunk = true;
    } else if (!inHunk) {
    } else if (l.startsWith("+")) {
      yield { text: l.slice(1), line: line++ };
    } else if (l.startsWith(" ")) {
      line++;
    }
  }
};

/** True when `re` matches anywhere in `text` (a global pattern is left as it was found). */
const occurs = (re: RegExp, text: string): boolean => {
  re.lastIndex = 0;
  const hit = re.test(text);
  re.lastIndex = 0;
  return hit;
};

/** Credentials on the lines a change adds: the ones handed to agents, then the known formats. */
export const scanSecrets = (
  changes: readonly { path: string; patch?: string }[],
  handed: readonly string[] = [],
): SecretFinding[] => {
  const found: SecretFinding[] = [];
  for (const c of changes) {
    if (!c.patch) continue;
    // Each pattern is first sought in the whole patch (one native scan); only those found there
    // are sought line by line among the added lines. Most patches hold none.
    const patch = c.patch;
    const values = handed.filter((v) => patch.includes(v));
    const rules = ANY_RULE.test(patch) ? RULES.filter(({ re }) => occurs(re, patch)) : [];
    const assigns = occurs(ASSIGNMENT, patch);
    if (values.length === 0 && rules.length === 0 && !assigns) continue;
    for (const { text, line } of addedLines(patch)) {
      for (const value of values) {
        if (text.includes(value))
          found.push({
            rule: "a credential Hyperion handed to agents",
            path: c.path,
            line,
            redacted: redact(value),
          });
      }
      for (const { rule, re } of rules) {
        for (const m of text.matchAll(re)) found.push({ rule, path: c.path, line, redacted: redact(m[0]) });
      }
      if (!assigns) continue;
      for (const m of text.matchAll(ASSIGNMENT)) {
        const value = m[1]!;
        if (entropy(value) > 4.2 && /[a-z]/.test(value) && /[A-Z]/.test(value) && /[0-9]/.test(value))
          found.push({ rule: "high-entropy secret assignment", path: c.path, line, redacted: redact(value) });
      }
    }
  }
  return found;
};

// Bidi embeddings, overrides and isolates (Trojan Source, CVE-2021-42574).
const BIDI = /[\u202a-\u202e\u2066-\u2069]/;

/** Added lines that hold bidi controls: code that reads differently from how it runs. */
export const scanBidi = (
  changes: readonly { path: string; patch?: string }[],
): { path: string; line: number }[] => {
  const found: { path: string; line: number }[] = [];
  for (const c of changes) {
    if (!c.patch || !BIDI.test(c.patch)) continue;
    for (const { text, line } of addedLines(c.patch)) if (BIDI.test(text)) found.push({ path: c.path, line });
  }
  return found;
};
