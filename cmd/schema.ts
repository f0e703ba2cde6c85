import { defineCommand } from "citty";
import { usageError } from "../lib/errors.ts";
import { isSchemaName, jsonSchemaOf, renderSchemasDoc, schemaNames, schemas } from "../lib/schema/index.ts";
import { printJson } from "./_args.ts";
import { main } from "./_main.ts";

const command = defineCommand({
  meta: { name: "schema", description: "List the contracts, or print one as JSON Schema" },
  args: {
    name: { type: "positional", required: false, description: `One of: ${schemaNames.join(", ")}` },
    markdown: { type: "boolean", description: "Print docs/SCHEMAS.md (every schema, as Markdown)" },
  },
  run({ args }) {
    if (args.markdown) {
      process.stdout.write(renderSchemasDoc());
      return;
    }
    if (!args.name) {
      for (const name of schemaNames) {
        const meta = schemas[name].meta();
        const width = Math.max(...schemaNames.map((n) => n.length));
        process.stdout.write(`${name.padEnd(width)}  ${String(meta?.description ?? "")}\n`);
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
    printJson(jsonSchemaOf(args.name));
  },
});

export default command;

if (import.meta.main) await main(command);
