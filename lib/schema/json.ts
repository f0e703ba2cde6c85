import type { z } from "zod";
import { type Code, usageError } from "../errors.ts";

/** Finds where JSON text stops being valid; the runtime's parser does not say. Runs only after a failure. */
const errorOffset = (text: string): { at: number; what: string } => {
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
    while (i < text.length && text[i] !== '"') {
      if (text[i] === "\\") i++;
      else if (text.charCodeAt(i) < 0x20) fail("control character in a string");
      i++;
    }
    if (i >= text.length) fail("unterminated string");
    i++;
  };
  const number = () => {
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i));
    if (!m) fail("invalid number");
    i += m![0].length;
  };
  const value = (): void => {
    ws();
    const c = text[i];
    if (c === "{") {
      i++;
      ws();
      if (text[i] === "}") {
        i++;
        return;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail("expected a property name in double quotes");
        string();
        ws();
        if (text[i] !== ":") fail("expected ':'");
        i++;
        value();
        ws();
        if (text[i] === ",") i++;
        else if (text[i] === "}") {
          i++;
          return;
        } else fail("expected ',' or '}'");
      }
    }
    if (c === "[") {
      i++;
      ws();
      if (text[i] === "]") {
        i++;
        return;
      }
      for (;;) {
        value();
        ws();
        if (text[i] === ",") i++;
        else if (text[i] === "]") {
          i++;
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
  return { at: 0, what: "invalid JSON" };
};

/** Parses JSON; a failure names the line and column, as a person's editor counts them. */
export const parseJsonText = (text: string, source: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    const { at, what } = errorOffset(text);
    const before = text.slice(0, at);
    const line = before.split("\n").length;
    const column = at - before.lastIndexOf("\n");
    throw usageError("E_JSON", `${source}:${line}:${column}: ${what}`, "fix the JSON at that position");
  }
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
