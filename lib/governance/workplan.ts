import { z } from "zod";
import { sha256Hex } from "../patch/hash.ts";
import { runnable } from "./argv.ts";
import { compilePosixRegex } from "./posix-regex.ts";

const Line = z.number().int().positive();

export const PlanSection = z.object({
  name: z.string(),
  line: Line,
  /** The section's lines after its heading, without trailing blank lines. */
  body: z.array(z.object({ line: Line, text: z.string() })),
});
export type PlanSection = z.infer<typeof PlanSection>;

export const PlanFinding = z.object({
  level: z.enum(["error", "warn"]),
  code: z.string(),
  line: Line.nullable(),
  message: z.string(),
});
export type PlanFinding = z.infer<typeof PlanFinding>;

export const Workplan = z.object({
  title: z.string().nullable(),
  sha256: z.string(),
  metadata: z.object({
    approvalPattern: z.object({ source: z.string(), line: Line }).nullable(),
    requiredSections: z.object({ names: z.array(z.string()), line: Line }).nullable(),
    validationPolicy: z.object({ commands: z.array(z.string()), line: Line }).nullable(),
  }),
  sections: z.array(PlanSection),
  checkboxes: z.array(z.object({ line: Line, checked: z.boolean(), text: z.string(), section: z.string() })),
  /** The Commands section: the only command lines Hyperion may ever run for this repository. */
  commands: z.array(z.object({ line: Line, command: z.string() })),
  /** The Validation section's command lines. */
  validation: z.array(z.object({ line: Line, command: z.string() })),
  approved: z.boolean(),
  approvalLine: Line.nullable(),
  findings: z.array(PlanFinding),
});
export type Workplan = z.infer<typeof Workplan>;

const METADATA = "Plan Metadata";

/** A command line as a finding quotes it: non-ASCII shown as \\u escapes, so what is wrong is visible. */
const printableCommand = (c: string) =>
  c.slice(0, 200).replace(/[^\x20-\x7e]/g, (ch) => `\\u{${ch.codePointAt(0)!.toString(16)}}`);
const CHECKBOX = /^\s*(?:-\s+)*-\s+\[([ xX])\]\s+(.*)$/;

/** A command line as written in Commands or Validation: plain, as a `- ` item, or in backticks. */
const commandText = (text: string): string | null => {
  let t = text.trim();
  if (t === "" || t.startsWith("<!--") || t.startsWith("#")) return null;
  if (t.startsWith("- ")) t = t.slice(2).trim();
  if (t.length > 1 && t.startsWith("`") && t.endsWith("`")) t = t.slice(1, -1).trim();
  return t === "" ? null : t;
};

/**
 * How long the approval pattern may run over all the Approval lines together. The plan is the
 * repository's text and its pattern can backtrack catastrophically; past the budget the plan is
 * not approved (finding `pattern_budget`). Checked between lines, and lines are bounded in length.
 */
export const APPROVAL_BUDGET_MS = 200;
/** Approval lines longer than this are never matched: an approval line is a short sentence. */
export const APPROVAL_LINE_MAX = 200;

const matchWithinBudget = (
  re: RegExp,
  lines: readonly { line: number; text: string }[],
  findings: PlanFinding[],
  patternLine: number,
  budgetMs: number,
) => {
  const started = performance.now();
  for (const b of lines) {
    const text = b.text.trim();
    if (text.length > APPROVAL_LINE_MAX) continue;
    if (re.test(text)) return b;
    if (performance.now() - started > budgetMs) {
      findings.push({
        level: "error",
        code: "pattern_budget",
        line: patternLine,
        message: `the approval pattern took over ${budgetMs} ms on the Approval lines (it backtracks); write a simpler one`,
      });
      return undefined;
    }
  }
  return undefined;
};

/**
 * Parses a WORKPLAN.md in the seed's format. Never throws for content problems: they become
 * findings with line numbers, so `hyperion plan check` can report them all at once.
 */
export const parseWorkplan = (text: string, opts: { approvalBudgetMs?: number } = {}): Workplan => {
  const lines = text.split(/\r?\n/);
  const findings: PlanFinding[] = [];
  const sections: PlanSection[] = [];
  let title: string | null = null;
  let current: PlanSection | null = null;

  lines.forEach((raw, i) => {
    const line = i + 1;
    const h2 = /^##\s+(.+?)\s*#*\s*$/.exec(raw);
    if (h2 && !raw.startsWith("###")) {
      current = { name: h2[1]!, line, body: [] };
      sections.push(current);
      return;
    }
    if (title === null && /^#\s+/.test(raw)) title = raw.replace(/^#\s+/, "").trim();
    current?.body.push({ line, text: raw });
  });
  for (const s of sections) while (s.body.length && s.body.at(-1)!.text.trim() === "") s.body.pop();

  const byName = new Map<string, PlanSection>();
  for (const s of sections) {
    if (byName.has(s.name)) {
      findings.push({
        level: "warn",
        code: "duplicate_section",
        line: s.line,
        message: `section '${s.name}' appears again`,
      });
    } else byName.set(s.name, s);
  }

  const meta = byName.get(METADATA);
  const field = (key: string) => {
    for (const b of meta?.body ?? []) {
      const m = new RegExp(`^${key}:\\s*(.*)$`).exec(b.text.trim());
      if (m) return { value: m[1]!.trim(), line: b.line };
    }
    return null;
  };
  if (!meta)
    findings.push({
      level: "error",
      code: "missing_metadata",
      line: null,
      message: `no '## ${METADATA}' section`,
    });
  const pattern = field("Approval pattern");
  const required = field("Required sections");
  const policy = field("Validation policy");
  for (const [key, got] of [
    ["Approval pattern", pattern],
    ["Required sections", required],
    ["Validation policy", policy],
  ] as const) {
    if (meta && !got) {
      findings.push({
        level: "error",
        code: "missing_metadata",
        line: meta.line,
        message: `'${key}:' is missing from ${METADATA}`,
      });
    }
  }

  const requiredNames = required
    ? required.value
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean)
    : [];
  for (const name of requiredNames) {
    if (!byName.has(name)) {
      findings.push({
        level: "error",
        code: "missing_section",
        line: required!.line,
        message: `required section '${name}' is missing`,
      });
    }
  }

  const commandsOf = (name: string) =>
    (byName.get(name)?.body ?? []).flatMap((b) => {
      const command = commandText(b.text);
      return command === null ? [] : [{ line: b.line, command }];
    });
  const commands = commandsOf("Commands");
  const validation = commandsOf("Validation");
  const allowed = new Set(commands.map((c) => c.command));
  const policyCommands = policy
    ? policy.value
        .split(";")
        .map((s) => s.trim())
        .filter(Boolean)
    : [];
  for (const command of policyCommands) {
    if (!allowed.has(command)) {
      findings.push({
        level: "error",
        code: "command_not_enumerated",
        line: policy!.line,
        message: `validation command '${command}' is not enumerated in Commands`,
      });
    }
  }
  for (const v of validation) {
    if (!allowed.has(v.command)) {
      findings.push({
        level: "error",
        code: "command_not_enumerated",
        line: v.line,
        message: `validation command '${v.command}' is not enumerated in Commands`,
      });
    }
  }

  // What the runner would refuse is refused here already (one function decides), so an
  // approved plan never wedges a run on a command that cannot start.
  const commandLines = [
    ...commands,
    ...validation,
    ...policyCommands.map((command) => ({ line: policy!.line, command })),
  ];
  for (const c of commandLines) {
    const r = runnable(c.command);
    if (!r.ok) {
      findings.push({
        level: "error",
        code: "command_not_runnable",
        line: c.line,
        message: `command '${printableCommand(c.command)}' cannot run: ${r.why}`,
      });
    }
  }

  let approved = false;
  let approvalLine: number | null = null;
  const approval = byName.get("Approval");
  if (pattern) {
    try {
      const re = compilePosixRegex(pattern.value, pattern.line);
      const hit = matchWithinBudget(
        re,
        approval?.body ?? [],
        findings,
        pattern.line,
        opts.approvalBudgetMs ?? APPROVAL_BUDGET_MS,
      );
      if (hit) {
        approved = true;
        approvalLine = hit.line;
      }
    } catch (e) {
      findings.push({
        level: "error",
        code: "bad_pattern",
        line: pattern.line,
        message: (e as Error).message,
      });
    }
  }
  if (!approved) {
    findings.push({
      level: "error",
      code: "not_approved",
      line: approval?.line ?? pattern?.line ?? null,
      message: approval
        ? "no line of the Approval section matches the approval pattern"
        : "the plan has no Approval section",
    });
  }

  const checkboxes = sections.flatMap((s) =>
    s.body.flatMap((b) => {
      const m = CHECKBOX.exec(b.text);
      return m ? [{ line: b.line, checked: m[1] !== " ", text: m[2]!.trim(), section: s.name }] : [];
    }),
  );

  return {
    title,
    sha256: sha256Hex(text),
    metadata: {
      approvalPattern: pattern && { source: pattern.value, line: pattern.line },
      requiredSections: required && { names: requiredNames, line: required.line },
      validationPolicy: policy && { commands: policyCommands, line: policy.line },
    },
    sections,
    checkboxes,
    commands,
    validation,
    approved,
    approvalLine,
    findings: findings.sort((a, b) => (a.line ?? 0) - (b.line ?? 0)),
  };
};

/** Valid and approved by its own text: no error findings. */
export const planIsValid = (plan: Workplan): boolean => !plan.findings.some((f) => f.level === "error");
