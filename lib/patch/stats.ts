/** Lines a unified diff adds and removes (file headers excluded), for summaries and risk scores. */
export const patchLineCounts = (patch: string | undefined): { added: number; removed: number } => {
  let added = 0;
  let removed = 0;
  const text = patch ?? "";
  // Line by line without splitting: a patch can be megabytes.
  for (let at = 0; at < text.length; ) {
    const end = text.indexOf("\n", at);
    const next = end < 0 ? text.length : end + 1;
    const c = text.charCodeAt(at);
    if ((c === 0x2b || c === 0x2d) && !text.startsWith(c === 0x2b ? "+++" : "---", at)) {
      if (c === 0x2b) added++;
      else removed++;
    }
    at = next;
  }
  return { added, removed };
};
