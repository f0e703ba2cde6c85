import { describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { root } from "../../cmd/hyperion.ts";
import { BundleManifest, bundleFiles, MANIFEST, SKILLS } from "../../lib/ops/index.ts";
import { jsonSchemaOf, schemaNames } from "../../lib/schema/index.ts";
import pkg from "../../package.json" with { type: "json" };
import { hyperion, tmpdir } from "../_helpers.ts";
import { hyperionOnTty } from "./_pty.ts";

const read = (dir: string, path: string) => readFileSync(join(dir, path), "utf8");

/** An exported bundle, then one of its files edited by hand and one deleted, plus a file of the operator's own. */
const exportedAndEdited = async (dir: string) => {
  const first = await hyperion(["export", dir]);
  expect(first.exitCode).toBe(0);
  writeFileSync(join(dir, "HYPERION.md"), "edited by hand\n");
  rmSync(join(dir, "SESSIONS.md"));
  mkdirSync(join(dir, "skills", "my-own"), { recursive: true });
  writeFileSync(join(dir, "skills", "my-own", "SKILL.md"), "mine\n");
  writeFileSync(join(dir, "notes.txt"), "mine too\n");
};

describe("hyperion export", () => {
  test("writes the skills, the guides, every JSON Schema and a manifest of them", async () => {
    await using tmp = await tmpdir();
    const dir = join(tmp.path, "bundle");
    const r = await hyperion(["export", dir, "--format", "json"]);
    expect(r.exitCode).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.replaced).toEqual([]);
    const manifest = BundleManifest.parse(JSON.parse(read(dir, MANIFEST)));
    expect(manifest.version).toBe(pkg.version);
    expect(out.created).toEqual([...manifest.files.map((f) => f.path), MANIFEST]);
    for (const f of manifest.files)
      expect(createHash("sha256").update(read(dir, f.path)).digest("hex")).toBe(f.sha256);
    for (const name of schemaNames)
      expect(JSON.parse(read(dir, `schemas/${name}.schema.json`))).toEqual(jsonSchemaOf(name));
    for (const name of ["list", "dead-letters", "history", "logs", "file-mods", "queue-metrics", "doctor"])
      expect(JSON.parse(read(dir, `schemas/records/${name}.schema.json`)).type).toBe("object");
    for (const name of Object.keys(SKILLS)) {
      const skill = read(dir, `skills/${name}/SKILL.md`);
      expect(skill).toStartWith(`---\nname: ${name}\ndescription: `);
    }
    expect(read(dir, "HYPERION.md")).toContain("hyperion export");
    expect(read(dir, "SESSIONS.md")).toContain("--resume=");
  });

  test("every `hyperion <command>` the bundle names is a command hyperion has", async () => {
    const commands = Object.keys(root.subCommands as object);
    const named = new Set<string>();
    for (const f of bundleFiles(pkg.version).filter((f) => f.path.endsWith(".md")))
      for (const m of f.content.matchAll(/\bhyperion ([a-z][a-z-]*)/g)) named.add(m[1]!);
    expect(named.size).toBeGreaterThan(10);
    expect(named.has("session")).toBe(true);
    for (const name of named) expect({ name, known: commands.includes(name) }).toEqual({ name, known: true });
  });

  test("exporting again over an unchanged bundle writes nothing and succeeds", async () => {
    await using tmp = await tmpdir();
    await hyperion(["export", tmp.path]);
    const r = await hyperion(["export", tmp.path, "--format", "json"]);
    expect(r.exitCode).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.created).toEqual([]);
    expect(out.replaced).toEqual([]);
    expect(out.unchanged.length).toBe(bundleFiles(pkg.version).length);
  });

  test("without a terminal, changed bundle files are refused naming --overwrite, and nothing is written", async () => {
    await using tmp = await tmpdir();
    await exportedAndEdited(tmp.path);
    const r = await hyperion(["export", tmp.path]);
    expect(r.exitCode).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toStartWith("hyperion: E_EXPORT_EXISTS: ");
    expect(r.stderr).toContain("--overwrite");
    expect(r.stderr).toContain("HYPERION.md");
    expect(read(tmp.path, "HYPERION.md")).toBe("edited by hand\n");
    expect(existsSync(join(tmp.path, "SESSIONS.md"))).toBe(false);
  });

  test("--overwrite replaces only the bundle's own files", async () => {
    await using tmp = await tmpdir();
    await exportedAndEdited(tmp.path);
    const r = await hyperion(["export", tmp.path, "--overwrite", "--format", "json"]);
    expect(r.exitCode).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.replaced).toEqual(["HYPERION.md"]);
    expect(out.created).toEqual(["SESSIONS.md"]);
    const fresh = Object.fromEntries(bundleFiles(pkg.version).map((f) => [f.path, f.content]));
    expect(read(tmp.path, "HYPERION.md")).toBe(fresh["HYPERION.md"]!);
    expect(read(tmp.path, "notes.txt")).toBe("mine too\n");
    expect(read(tmp.path, "skills/my-own/SKILL.md")).toBe("mine\n");
  });

  test("on a terminal it asks; yes replaces the changed files", async () => {
    await using tmp = await tmpdir();
    await exportedAndEdited(tmp.path);
    const r = await hyperionOnTty(["export", tmp.path], {
      prompt: "Replace 1 file of the Hyperion bundle",
      answer: "y",
    });
    expect(r.prompted).toBe(true);
    expect(r.exitCode).toBe(0);
    expect(r.screen).toContain("1 created, 1 replaced");
    expect(read(tmp.path, "HYPERION.md")).toContain("# Hyperion: export guide");
    expect(read(tmp.path, "notes.txt")).toBe("mine too\n");
  });

  test("on a terminal, no writes nothing and exits 1", async () => {
    await using tmp = await tmpdir();
    await exportedAndEdited(tmp.path);
    const r = await hyperionOnTty(["export", tmp.path], {
      prompt: "Replace 1 file of the Hyperion bundle",
      answer: "n",
    });
    expect(r.prompted).toBe(true);
    expect(r.exitCode).toBe(1);
    expect(r.screen).toContain("hyperion: E_EXPORT_DECLINED: nothing written");
    expect(read(tmp.path, "HYPERION.md")).toBe("edited by hand\n");
    expect(existsSync(join(tmp.path, "SESSIONS.md"))).toBe(false);
  });

  test("a file where the folder should be exits 2", async () => {
    await using tmp = await tmpdir();
    const file = join(tmp.path, "f");
    writeFileSync(file, "x");
    const r = await hyperion(["export", file]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toStartWith("hyperion: E_EXPORT_NOT_DIR: ");
  });
});
