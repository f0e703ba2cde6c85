import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { defineCommand } from "citty";
import { EXIT } from "../lib/errors.ts";
import { PLAN_FILE, planIsValid, planVerdict, readPlan } from "../lib/governance/index.ts";
import { governanceSql } from "../lib/store/governance-sql.ts";
import { locate, openDatabase } from "../lib/store/index.ts";
import { formatArg, repoArgs } from "./_args.ts";
import { outJson, outText } from "./_io.ts";
import { cli } from "./_main.ts";

const command = defineCommand({
  meta: {
    name: "check",
    description:
      "Check a WORKPLAN.md: sections, approval, validation commands (exit 0 approved, 2 invalid, 3 not yet approved)",
  },
  args: {
    file: { type: "positional", required: false, description: "Plan file (default: <repo>/WORKPLAN.md)" },
    ...repoArgs,
    format: formatArg(["text", "json"], "text"),
  },
  run({ args }) {
    const loc = locate({ repo: args.repo, db: args.db });
    const path = args.file ? resolve(args.file) : join(loc.repo, PLAN_FILE);
    const plan = readPlan(path);
    // Whether a person approved exactly this text, when the repository has a database.
    let recorded: boolean | null = null;
    if (existsSync(loc.db)) {
      const db = openDatabase(loc.db);
      recorded = governanceSql(db).planApproval(plan.sha256) !== null;
      db.close();
    }
    const valid = planIsValid(plan);
    if (args.format === "json") {
      outJson({
        path,
        sha256: plan.sha256,
        valid,
        approved: plan.approved,
        recorded_approval: recorded,
        sections: plan.sections.map((s) => ({ name: s.name, line: s.line })),
        commands: plan.commands,
        validation_policy: plan.metadata.validationPolicy?.commands ?? [],
        checkboxes: {
          total: plan.checkboxes.length,
          checked: plan.checkboxes.filter((c) => c.checked).length,
        },
        findings: plan.findings,
      });
    } else {
      outText(
        [
          `${path}: ${planVerdict(valid, recorded)} (${plan.sections.length} sections, ${plan.commands.length} commands)`,
          ...plan.findings.map((f) => `  ${f.level} line ${f.line ?? "-"}: ${f.message}`),
        ].join("\n"),
      );
    }
    return !valid ? EXIT.usage : recorded === true ? EXIT.ok : EXIT.needsPerson;
  },
});

export default command;

if (import.meta.main) await cli(command);
