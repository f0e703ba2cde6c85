import type { CliSpec, ParsedRun } from "../spec.ts";

/** Placeholders a `command` template may use, each replaced within its own argument. */
const fill = (arg: string, values: Record<string, string>): string =>
  arg.replace(/\{(prompt|model|workdir|session|home)\}/g, (_, k: string) => values[k] ?? "");

/** Whatever the CLI prints is its answer; Hyperion extracts the JSON from it. */
const parse = (stdout: string): ParsedRun => ({ text: stdout, denied: [], framed: true });

/** Any other CLI, driven by `agents.command.template` (checked at selection: it must be set). */
export const command: CliSpec = {
  name: "command",
  bin: "",
  install: "set agents.command.command to the executable to run",
  checked: "-",
  env: [],
  grants: [],
  // Whatever the CLI names, never something an argv could read as an option.
  sessionId: /^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$/,
  network: false,
  homeVars: {},
  namesSessions: "hyperion",
  argv: (a) =>
    (a.template ?? ["{prompt}"]).map((arg) =>
      fill(arg, {
        prompt: a.prompt,
        model: a.model ?? "",
        workdir: a.workdir,
        session: a.session?.id ?? "",
        home: a.home,
      }),
    ),
  parse,
  exitCodes: {},
};
