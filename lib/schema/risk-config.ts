import { z } from "zod";

const PathRule = z.strictObject({
  glob: z.string().min(1).describe("Glob over repository paths (Bun.Glob syntax)."),
  weight: z.number().min(0),
  reason: z.string().min(1),
});

/**
 * What makes a change risky enough to wait for a person. Each rule adds its weight; a change
 * whose score reaches `threshold` enters `awaiting_approval` instead of the queue.
 */
export const RiskConfig = z.strictObject({
  threshold: z.number().min(0).default(10).describe("Score at or over which a change waits for approval."),
  paths: z
    .array(PathRule)
    .default([
      { glob: ".github/**", weight: 10, reason: "CI configuration" },
      { glob: ".ci/**", weight: 10, reason: "CI configuration" },
      { glob: "**/.gitlab-ci.yml", weight: 10, reason: "CI configuration" },
      { glob: "**/package.json", weight: 10, reason: "package manifest and scripts" },
      { glob: "**/bunfig.toml", weight: 10, reason: "decides what `bun test` loads" },
      { glob: "**/{Makefile,justfile,Taskfile.yml}", weight: 10, reason: "build scripts" },
      { glob: "WORKPLAN.md", weight: 10, reason: "the plan that allows commands" },
      {
        glob: "**/{bun.lock,bun.lockb,package-lock.json,yarn.lock,pnpm-lock.yaml,Cargo.lock}",
        weight: 10,
        reason: "lockfile",
      },
      { glob: "**/{tsconfig.json,biome.json,.npmrc}", weight: 5, reason: "tool configuration" },
      { glob: "**/.*", weight: 5, reason: "hidden file" },
    ])
    .describe("Path rules; every rule that matches a touched path adds its weight once per path."),
  validation_inputs_weight: z
    .number()
    .min(0)
    .default(10)
    .describe(
      "Added for a path the validation commands execute or load (test preloads, scripts named in the plan).",
    ),
  delete_weight: z.number().min(0).default(4).describe("Per deleted file."),
  rename_weight: z.number().min(0).default(2).describe("Per renamed file."),
  executable_weight: z.number().min(0).default(10).describe("Per file made executable."),
  lines_per_point: z.number().min(1).default(200).describe("One point per this many lines added or removed."),
  files_per_point: z.number().min(1).default(10).describe("One point per this many files touched."),
});
export type RiskConfig = z.infer<typeof RiskConfig>;
