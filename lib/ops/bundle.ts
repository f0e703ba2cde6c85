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

/** The skill catalog: one SKILL.md per skill, named as its front matter names it. */
export const SKILLS = {
  "hyperion-submit-change": submitChange,
  "hyperion-read-queue": readQueue,
  "hyperion-approvals": approvals,
  "hyperion-sessions": skillSessions,
} as const;

const json = (v: unknown) => `${JSON.stringify(v, null, 2)}\n`;
const outputSchema = (s: z.ZodType) => z.toJSONSchema(s, { io: "output", target: "draft-2020-12" });

/** Every file of the bundle, the manifest last, with paths relative to the export folder. */
export const bundleFiles = (version: string): BundleFile[] => {
  const files: BundleFile[] = [
    { path: "HYPERION.md", content: guide },
    { path: "SESSIONS.md", content: sessions },
    ...Object.entries(SKILLS).map(([name, content]) => ({ path: `skills/${name}/SKILL.md`, content })),
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
