import { join, resolve } from "node:path";
import { defineCommand } from "citty";
import { consola } from "consola";
import { EXIT, HyperionError, usageError } from "../lib/errors.ts";
import { bundleFiles, checkExportDir, planExport, writeBundle } from "../lib/ops/index.ts";
import { locate } from "../lib/store/index.ts";
import pkg from "../package.json" with { type: "json" };
import { formatArg } from "./_args.ts";
import { io, out, outJson } from "./_io.ts";
import { cli } from "./_main.ts";

const list = (paths: string[]) =>
  `${paths.slice(0, 3).join(", ")}${paths.length > 3 ? `, +${paths.length - 3} more` : ""}`;

const command = defineCommand({
  meta: {
    name: "export",
    description:
      "Write a bundle for another repository's agents: skills, export guide, JSON Schemas, session guidance",
  },
  args: {
    dir: {
      type: "positional",
      required: false,
      description: "Folder to write the bundle into (created when missing; default: <repo>/.hyperion-bundle)",
    },
    repo: {
      type: "string",
      description: "Repository whose agents get the bundle (default: found from the current directory)",
      valueHint: "DIR",
    },
    overwrite: {
      type: "boolean",
      description: "Replace the bundle's own files where they differ (nothing else in the folder is touched)",
    },
    format: formatArg(["text", "json"], "text"),
  },
  async run({ args }) {
    const dir = resolve(args.dir ?? join(locate({ repo: args.repo }).repo, ".hyperion-bundle"));
    checkExportDir(dir);
    const plan = planExport(dir, bundleFiles(pkg.version));
    const changed = plan.differ.map((f) => f.path);
    if (changed.length > 0 && !args.overwrite) {
      // Never silently: a person at a terminal is asked; a script must say --overwrite.
      if (!(io().stdin.isTTY && io().stdout.isTTY)) {
        throw usageError(
          "E_EXPORT_EXISTS",
          `${dir} already holds ${changed.length} bundle ${changed.length === 1 ? "file" : "files"} with other content (${list(changed)})`,
          "pass --overwrite to replace the bundle's own files; nothing else in the folder is touched",
        );
      }
      const yes = await consola.prompt(
        `Replace ${changed.length} ${changed.length === 1 ? "file" : "files"} of the Hyperion bundle in ${dir} (${list(changed)})?`,
        { type: "confirm", initial: false, cancel: "null" },
      );
      if (yes !== true) {
        throw new HyperionError("E_EXPORT_DECLINED", `nothing written to ${dir}`, {
          exitCode: EXIT.failure,
          hint: "answer yes, or pass --overwrite",
        });
      }
    }
    writeBundle(dir, [...plan.create, ...plan.differ]);
    const result = {
      dir,
      created: plan.create.map((f) => f.path),
      replaced: changed,
      unchanged: plan.same.map((f) => f.path),
    };
    if (args.format === "json") outJson(result);
    else {
      const parts = [
        `${result.created.length} created`,
        `${result.replaced.length} replaced`,
        `${result.unchanged.length} unchanged`,
      ];
      out(`bundle in ${dir}: ${parts.join(", ")}; start with HYPERION.md`);
    }
  },
});

export default command;

if (import.meta.main) await cli(command);
