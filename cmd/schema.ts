import { defineCommand } from "citty";
import { usageError } from "../lib/errors.ts";
import { isSchemaName, jsonSchemaOf, renderSchemasDoc, schemaNames, schemas } from "../lib/schema/index.ts";
import { out, outJson } from "./_io.ts";
import { cli } from "./_main.ts";

const command = defineCommand({
  meta: { name: "schema", description: "List the contracts, or print one as JSON Schema" },
  args: {
    name: { type: "positional", required: false, description: `One of: ${schemaNames.join(", ")}` },
    markdown: { type: "boolean", description: "Print docs/SCHEMAS.md (every schema, as Markdown)" },
  },
  run({ args }) {
    if (args.markdown) {
      out(renderSchemasDoc());
      return;
    }
    if (!args.name) {
      for (const name of schemaNames) {
        const meta = schemas[name].meta();
        const width = Math.max(...schemaNames.map((n) => n.length));
        out(`${name.padEnd(width)}  ${String(meta?.description ?? "")}`);
      }
      return;
    }
    if (!isSchemaName(args.name)) {
      throw usageError(
        "E_UNKNOWN_SCHEMA",
        `unknown schema '${args.name}'`,
        `choose one of: ${schemaNames.join(", ")}`,
      );
    }
    outJson(jsonSchemaOf(args.name));
  },
});

export default command;

if (import.meta.main) await cli(command);
