import { expect, test } from "bun:test";
import { mean, sum } from "../src/math.ts";

test("sum adds", () => expect(sum([1, 2, 3])).toBe(6));
test("mean of nothing is 0", () => expect(mean([])).toBe(0));
