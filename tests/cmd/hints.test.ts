import { expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { ArgsDef, CommandDef } from "citty";
import { root } from "../../cmd/_root.ts";
import { ROOT } from "../_helpers.ts";

// biome-ignore lint/suspicious/noExplicitAny: any command, whatever its args
type AnyCommand = CommandDef<any>;
const resolve = async <T>(v: T | Promise<T> | (() => T | Promise<T>)): Promise<T> =>
  typeof v === "function" ? await (v as () => T | Promise<T>)() : await v;

const sources = (): string[] => [
  ...["lib", "cmd", "docs"].flatMap((dir) =>
    readdirSync(join(ROOT, dir), { recursive: true, encoding: "utf8" })
      .filter((f) => f.endsWith(".ts") || f.endsWith(".md"))
      .map((f) => join(ROOT, dir, f)),
  ),
  join(ROOT, "README.md"),
];

/** Why `words` (what follows `hyperion` in a hint) does not name a real command and its flags; null when it does. */
const check = async (words: string[]): Promise<string | null> => {
  let cmd: AnyCommand = root;
  let i = 0;
  for (; i < words.length; i++) {
    const w = words[i]!;
    const subs = cmd.subCommands ? await resolve(cmd.subCommands) : undefined;
    if (!subs || w.startsWith("-") || !/^[a-z][a-z-]*(\|[a-z][a-z-]*)*$/.test(w)) break;
    const names = w.split("|");
    const missing = names.find((n) => !Object.hasOwn(subs, n));
    if (missing) return `no command '${missing}'`;
    cmd = (await resolve(subs[names[0]!])) as AnyCommand;
  }
  const defs = (cmd.args ? await resolve(cmd.args) : {}) as ArgsDef;
  const flags = new Set(["help", ...Object.keys(defs)]);
  for (const w of words.slice(i)) {
    const flag = /^--(?:no-)?([a-z][a-z-]*)/.exec(w)?.[1];
    if (flag && !flags.has(flag) && flag !== "json") return `no flag --${flag}`;
  }
  return null;
};

test("every `hyperion ...` the code and the docs tell an operator to run names a real command and real flags", async () => {
  const wrong: string[] = [];
  for (const file of sources()) {
    const text = readFileSync(file, "utf8");
    // Inline hints (`hyperion list`), and example command lines in the docs ($ hyperion list).
    for (const m of text.matchAll(/`hyperion ([^`]*)`|^\$ hyperion ([^|<>\n]*)/gm)) {
      // Stop at the first interpolation or line end: what follows is filled in at run time.
      const hint = m[1] ?? m[2]!;
      const words = hint
        .split(/\$\{|\n/)[0]!
        .trim()
        .split(/\s+/)
        .filter(Boolean);
      const why = await check(words);
      if (why) wrong.push(`${file.slice(ROOT.length + 1)}: \`hyperion ${hint}\`: ${why}`);
    }
  }
  expect(wrong).toEqual([]);
});

test("docs/CLI.md has a section for every command, and the README's table names each", async () => {
  const cli = readFileSync(join(ROOT, "docs/CLI.md"), "utf8");
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const headings = cli.split("\n").filter((l) => l.startsWith("## "));
  const names = Object.keys((await resolve(root.subCommands!)) as Record<string, unknown>);
  const missing = names.filter(
    (n) => !headings.some((h) => h.includes(`\`${n}\``) || h.includes(`hyperion ${n}`)),
  );
  expect(missing).toEqual([]);
  const table = readme.split("\n").filter((l) => l.startsWith("| `hyperion "));
  expect(
    names.filter((n) => !table.some((row) => new RegExp(`^\\| \`hyperion [^\`]*\\b${n}\\b`).test(row))),
  ).toEqual([]);
});
