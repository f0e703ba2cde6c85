import { parseStrictJson } from "../schema/json.ts";

/** An agent's answer as JSON, or why its output holds no single answer. */
export type Extracted = { ok: true; value: unknown } | { ok: false; reason: string };

// A fence line: ``` or ~~~ with an optional language tag.
const FENCE = /^[ \t]*(```|~~~)[ \t]*([A-Za-z0-9_+-]*)[ \t]*$/;

type Block = { lang: string; body: string };

/** Fenced blocks in order; `open` when the text ends inside one (the answer was cut off). */
const fencedBlocks = (text: string): { blocks: Block[]; open: boolean } => {
  const blocks: Block[] = [];
  let current: { marker: string; lang: string; lines: string[] } | null = null;
  for (const line of text.split(/\r?\n/)) {
    const m = FENCE.exec(line);
    if (current) {
      if (m && m[1] === current.marker && m[2] === "") {
        blocks.push({ lang: current.lang.toLowerCase(), body: current.lines.join("\n").trim() });
        current = null;
      } else current.lines.push(line);
    } else if (m) current = { marker: m[1]!, lang: m[2]!, lines: [] };
  }
  return { blocks, open: current !== null };
};

const parse = (text: string, what: string): Extracted => {
  const r = parseStrictJson(text);
  return r.ok
    ? { ok: true, value: r.value }
    : { ok: false, reason: `${what} is not valid JSON (${r.at}: ${r.reason})` };
};

/**
 * Finds the one JSON answer in an agent's output, strictly: the whole text, else exactly one
 * fenced JSON block, else exactly one `{...}` span with prose around it. Two answers (a draft
 * and a final, which one was meant?) and a cut-off answer (an open fence, an unclosed object)
 * are refused, never resolved by picking one; duplicate keys are refused too.
 */
export const extractJson = (text: string): Extracted => {
  const trimmed = text.trim();
  if (trimmed === "") return { ok: false, reason: "the output is empty" };
  if (trimmed.startsWith("{") || trimmed.startsWith("[")) {
    const whole = parseStrictJson(trimmed);
    if (whole.ok) return { ok: true, value: whole.value };
  }
  const { blocks, open } = fencedBlocks(text);
  if (open) return { ok: false, reason: "the output ends inside a code fence (the answer was cut off)" };
  const json = blocks.filter((b) => b.lang === "json" || (b.lang === "" && /^[[{]/.test(b.body)));
  if (json.length > 1)
    return {
      ok: false,
      reason: `the output holds ${json.length} JSON blocks; exactly one answer is accepted`,
    };
  if (json.length === 1) return parse(json[0]!.body, "the JSON block");
  const first = text.indexOf("{");
  const last = text.lastIndexOf("}");
  if (first === -1) return { ok: false, reason: "the output holds no JSON object" };
  // An object opened after the last close: a later answer was cut off (an earlier one is a draft).
  if (last < first || text.indexOf("{", last) !== -1)
    return { ok: false, reason: "the output ends inside a JSON object (the answer was cut off)" };
  return parse(text.slice(first, last + 1), "the {…} span of the output");
};
