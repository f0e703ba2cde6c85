import { createHash } from "node:crypto";
import { z } from "zod";
import { jsonSchemaOf, schemaNames } from "../schema/index.ts";
import guide from "./bundle/guide.md" with { type: "text" };
import sessions from "./bundle/sessions.md" with { type: "text" };
import approvals from "./bundle/skills/approvals.md" with { type: "text" };
import readQueue from "./bundle/skills/read-queue.md" with { type: "text" };
import skillSessions from "./bundle/skills/sessions.md" with { type: "text" };
import submitChange from "./bundle/skills/submit-change.md" with { type: "text" };
import { DoctorReport } from "./doctor/types.ts";
import { QueueMetricsRecord } from "./metrics.ts";
import { recordSchemas } from "./records.ts";

/** The manifest that marks a folder as a Hyperion bundle and lists its own files. */
export const MANIFEST = "hyperion-bundle.json";

export const BundleManifest = z.object({
  generator: z.literal("hyperion export"),
  version: z.string(),
  files: z.array(z.object({ path: z.string(), sha256: z.string() })),
});
export type BundleManifest = z.infer<typeof BundleManifest>;

export type BundleFile = { path: string; content: string };

/**
 * The skill catalog: one SKILL.md per skill. The YAML header (name, description) is added here,
 * not kept in the markdown, where a formatter would take its `---` for a thematic break.
 */
export const SKILLS = {
  "hyperion-submit-change": {
    description:
      "Submit a change to a repository managed by Hyperion as a change request (unified diffs per file, tied to a task) instead of editing files directly.",
    body: submitChange,
  },
  "hyperion-read-queue": {
    description:
      "Read the state of Hyperion's merge queue - changes by status, dead letters, task request history, event logs, file modifications and queue metrics - as JSON.",
    body: readQueue,
  },
  "hyperion-approvals": {
    description:
      "Review the changes Hyperion holds for a person (high-risk paths, deletions, size, anything that alters what validation runs) and approve, reject, or retry dead letters.",
    body: approvals,
  },
  "hyperion-sessions": {
    description:
      "Keep and reuse a coding agent's session (GitHub Copilot CLI, Claude Code, Codex, Gemini CLI) across Hyperion turns, so the agent keeps its context and the operator stays logged in.",
    body: skillSessions,
  },
} as const;

const skillFile = (name: string, s: { description: string; body: string }) =>
  `---\nname: ${name}\ndescription: ${s.description}\n---\n\n${s.body}`;

const json = (v: unknown) => `${JSON.stringify(v, null, 2)}\n`;
const outputSchema = (s: z.ZodType) => z.toJSONSchema(s, { io: "output", target: "draft-2020-12" });

/** Every file of the bundle, the manifest last, with paths relative to the export folder. */
export const bundleFiles = (version: string): BundleFile[] => {
  const files: BundleFile[] = [
    { path: "HYPERION.md", content: guide },
    { path: "SESSIONS.md", content: sessions },
    ...Object.entries(SKILLS).map(([name, s]) => ({
      path: `skills/${name}/SKILL.md`,
      content: skillFile(name, s),
    })),
    ...schemaNames.map((name) => ({
      path: `schemas/${name}.schema.json`,
      content: json(jsonSchemaOf(name)),
    })),
    ...Object.entries(recordSchemas).map(([command, schema]) => ({
      path: `schemas/records/${command}.schema.json`,
      content: json(outputSchema(schema)),
    })),
    { path: "schemas/records/queue-metrics.schema.json", content: json(outputSchema(QueueMetricsRecord)) },
    { path: "schemas/records/doctor.schema.json", content: json(outputSchema(DoctorReport)) },
  ];
  const manifest: BundleManifest = {
    generator: "hyperion export",
    version,
    files: files.map((f) => ({ path: f.path, sha256: createHash("sha256").update(f.content).digest("hex") })),
  };
  return [...files, { path: MANIFEST, content: json(manifest) }];
};
