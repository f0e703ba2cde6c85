import type { z } from "zod";
import { type Code, usageError } from "../errors.ts";

/** Deeper JSON is no change request or agent answer, and would exhaust the stack. */
const MAX_DEPTH = 256;

/**
 * Finds where JSON text stops being valid (the runtime's parser does not say), or the first key
 * an object repeats (the runtime's parser keeps the last silently). Null when neither.
 */
const firstProblem = (text: string): { at: number; what: string } | null => {
  let i = 0;
  const ws = () => {
    while (i < text.length && " \t\n\r".includes(text[i]!)) i++;
  };
  const fail = (what: string): never => {
    throw { at: i, what };
  };
  const literal = (word: string) => {
    if (!text.startsWith(word, i)) fail(`expected ${word}`);
    i += word.length;
  };
  const string = () => {
    i++;
    for (;;) {
      // A run of plain characters is skipped by one native match, not a step per character.
      if (i < text.length) {
        PLAIN.lastIndex = i;
        PLAIN.test(text);
        i = PLAIN.lastIndex;
      }
      if (i >= text.length) fail("unterminated string");
      const c = text.charCodeAt(i);
      if (c === 0x22) break;
      if (c === 0x5c) i += 2;
      else fail("control character in a string");
    }
    i++;
  };
  // Sticky: matched where the scan is, never on a copy of the rest of the text.
  const PLAIN = /[^"\\\u0000-\u001f]*/y;
  const NUMBER = /-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;
  const number = () => {
    NUMBER.lastIndex = i;
    const m = NUMBER.exec(text);
    if (!m) fail("invalid number");
    i += m![0].length;
  };
  let depth = 0;
  const value = (): void => {
    ws();
    const c = text[i];
    if ((c === "{" || c === "[") && ++depth > MAX_DEPTH) fail(`nested deeper than ${MAX_DEPTH} levels`);
    if (c === "{") {
      i++;
      ws();
      if (text[i] === "}") {
        i++;
        depth--;
        return;
      }
      const keys = new Set<string>();
      for (;;) {
        ws();
        if (text[i] !== '"') fail("expected a property name in double quotes");
        const start = i;
        string();
        let key = "";
        try {
          key = JSON.parse(text.slice(start, i)) as string;
        } catch {
          i = start;
          fail("invalid escape in a property name");
        }
        if (keys.has(key)) {
          i = start;
          fail(`duplicate key ${JSON.stringify(key)}`);
        }
        keys.add(key);
        ws();
        if (text[i] !== ":") fail("expected ':'");
        i++;
        value();
        ws();
        if (text[i] === ",") i++;
        else if (text[i] === "}") {
          i++;
          depth--;
          return;
        } else fail("expected ',' or '}'");
      }
    }
    if (c === "[") {
      i++;
      ws();
      if (text[i] === "]") {
        i++;
        depth--;
        return;
      }
      for (;;) {
        value();
        ws();
        if (text[i] === ",") i++;
        else if (text[i] === "]") {
          i++;
          depth--;
          return;
        } else fail("expected ',' or ']'");
      }
    }
    if (c === '"') string();
    else if (c === "t") literal("true");
    else if (c === "f") literal("false");
    else if (c === "n") literal("null");
    else if (c === "-" || (c !== undefined && c >= "0" && c <= "9")) number();
    else fail(c === undefined ? "unexpected end of input" : `unexpected character '${c}'`);
  };
  try {
    value();
    ws();
    if (i < text.length) fail("unexpected text after the JSON value");
  } catch (e) {
    if (typeof e === "object" && e !== null && "at" in e) return e as { at: number; what: string };
    throw e;
  }
  return null;
};

/** Line and column of an offset, as a person's editor counts them. */
const position = (text: string, at: number): string => {
  const before = text.slice(0, at);
  return `${before.split("\n").length}:${at - before.lastIndexOf("\n")}`;
};

/**
 * Parses JSON strictly: invalid text and duplicate keys (which JSON.parse resolves silently, the
 * last one winning, so two readers could see two different values) are refused with where.
 */
export const parseStrictJson = (
  text: string,
): { ok: true; value: unknown } | { ok: false; reason: string; at: string } => {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    const p = firstProblem(text) ?? { at: 0, what: "invalid JSON" };
    return { ok: false, reason: p.what, at: position(text, p.at) };
  }
  // Keys repeat only in objects and depth grows only in containers: a scalar needs no scan.
  const dup = text.includes("{") || text.includes("[") ? firstProblem(text) : null;
  return dup ? { ok: false, reason: dup.what, at: position(text, dup.at) } : { ok: true, value };
};

/** Parses JSON strictly (parseStrictJson); a failure names the line and column. */
export const parseJsonText = (text: string, source: string): unknown => {
  const r = parseStrictJson(text);
  if (r.ok) return r.value;
  throw usageError("E_JSON", `${source}:${r.at}: ${r.reason}`, "fix the JSON at that position");
};

/** Where a zod issue points, as `field.path[0].name`; `(root)` for the whole value. */
export const issuePath = (path: readonly PropertyKey[]): string =>
  path.length === 0
    ? "(root)"
    : path.map((p, i) => (typeof p === "number" ? `[${p}]` : `${i ? "." : ""}${String(p)}`)).join("");

/** Parses a value with a schema; a failure names the field path and the problem. */
export const parseWith = <S extends z.ZodType>(
  schema: S,
  value: unknown,
  source: string,
  code: Code = "E_SCHEMA",
): z.infer<S> => {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  throw usageError(
    code,
    `${source}: ${issuePath(issue.path)}: ${issue.message}`,
    "see `hyperion schema` for the contract",
  );
};
