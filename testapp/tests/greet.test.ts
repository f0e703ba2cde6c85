import { expect, test } from "bun:test";
import { greet } from "../src/greet.ts";

test("greets by name", () => expect(greet("Ada")).toBe("Hello, Ada!"));
