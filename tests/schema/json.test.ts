import { describe, expect, test } from "bun:test";
import { HyperionError } from "../../lib/errors.ts";
import { ChangeRequest, parseJsonText, parseWith } from "../../lib/schema/index.ts";

const message = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    if (e instanceof HyperionError) return `${e.code} ${e.message}`;
    throw e;
  }
  return "parsed";
};

describe("parseJsonText", () => {
  test.each([
    ['{\n  "a": 1,\n  x}', "E_JSON f.json:3:3: expected a property name in double quotes"],
    ["[1, 2", "E_JSON f.json:1:6: expected ',' or ']'"],
    ['{"a": tru}', "E_JSON f.json:1:7: expected true"],
    ["{} trailing", "E_JSON f.json:1:4: unexpected text after the JSON value"],
    ["", "E_JSON f.json:1:1: unexpected end of input"],
    ['{"a": "b\\', "E_JSON f.json:1:11: unterminated string"],
    ['{"a": "b\u0001"}', "E_JSON f.json:1:9: control character in a string"],
    ['{"a": "\\"", "a": 2}', 'E_JSON f.json:1:13: duplicate key "a"'],
  ])("names line and column of %j", (text, expected) => {
    expect(message(() => parseJsonText(text, "f.json"))).toBe(expected);
  });

  test("returns the value of valid JSON", () => {
    expect(parseJsonText('{"a": [1, "b"]}', "f.json")).toEqual({ a: [1, "b"] });
  });
});

describe("parseWith", () => {
  test("names the field path of a schema violation", () => {
    const input = { task_id: "t", changes: [{ path: "a", operation: "chmod" }] };
    expect(message(() => parseWith(ChangeRequest, input, "cr.json"))).toStartWith(
      "E_SCHEMA cr.json: changes[0].operation: ",
    );
  });
});
