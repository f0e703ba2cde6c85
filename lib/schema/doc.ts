import { jsonSchemaOf, type SchemaName, schemaNames } from "./registry.ts";

type Json = Record<string, unknown>;

const typeOf = (s: Json): string => {
  if (Array.isArray(s.enum)) return s.enum.map((v) => `\`${String(v)}\``).join(" \\| ");
  if (s.const !== undefined) return `\`${String(s.const)}\``;
  if (Array.isArray(s.anyOf)) return (s.anyOf as Json[]).map(typeOf).join(" or ");
  if (Array.isArray(s.oneOf)) return (s.oneOf as Json[]).map(typeOf).join(" or ");
  if (s.type === "array") return `${typeOf((s.items ?? {}) as Json)}[]`;
  return typeof s.type === "string" ? s.type : "value";
};

const fieldRows = (schema: Json): string[] => {
  const props = (schema.properties ?? {}) as Record<string, Json>;
  const required = new Set((schema.required ?? []) as string[]);
  return Object.entries(props).map(([name, p]) => {
    const desc = String(p.description ?? "").replaceAll("|", "\\|");
    const dflt = p.default === undefined ? "" : ` Default: \`${JSON.stringify(p.default)}\`.`;
    return `| \`${name}\` | ${typeOf(p)} | ${required.has(name) ? "yes" : "no"} | ${desc}${dflt} |`;
  });
};

const section = (name: SchemaName): string => {
  const schema = jsonSchemaOf(name);
  return [
    `## ${String(schema.title ?? name)} (\`${name}\`)`,
    "",
    String(schema.description ?? ""),
    "",
    "| field | type | required | meaning |",
    "| --- | --- | --- | --- |",
    ...fieldRows(schema),
    "",
    `<details><summary>JSON Schema (<code>hyperion schema ${name}</code>)</summary>`,
    "",
    "```json",
    JSON.stringify(schema, null, 2),
    "```",
    "",
    "</details>",
    "",
  ].join("\n");
};

/** docs/SCHEMAS.md, generated: `bun run docs:schemas`. A test fails when the file is stale. */
export const renderSchemasDoc = (): string =>
  [
    "# Schemas",
    "",
    "<!-- Generated from lib/schema by `bun run docs:schemas`; do not edit by hand. -->",
    "",
    "Every contract Hyperion reads or writes is a zod schema in `lib/schema/`. Input is parsed at",
    "every boundary (CLI input, agent output, rows read back from the database). `hyperion schema`",
    "lists the names; `hyperion schema <name>` prints one as JSON Schema (draft 2020-12).",
    "",
    ...schemaNames.map(section),
  ].join("\n");
