/**
 * Finds the JSON an agent meant in its output: the whole text, else the last fenced code block
 * that parses, else the span from the first '{' to the last '}'. Returns undefined when none parses.
 */
export const extractJson = (text: string): unknown => {
  const attempts = [text.trim()];
  const fences = [...text.matchAll(/```[a-zA-Z]*\s*\n([\s\S]*?)```/g)].map((m) => m[1]!.trim()).reverse();
  attempts.push(...fences);
  const first = text.indexOf("{");
  const last = text.lastIndexOf("}");
  if (first !== -1 && last > first) attempts.push(text.slice(first, last + 1));
  for (const a of attempts) {
    if (a === "") continue;
    try {
      return JSON.parse(a);
    } catch {
      // try the next candidate
    }
  }
  return undefined;
};
