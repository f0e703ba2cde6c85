/** Lines a unified diff adds and removes (file headers excluded), for summaries and risk scores. */
export const patchLineCounts = (patch: string | undefined): { added: number; removed: number } => {
  let added = 0;
  let removed = 0;
  for (const line of (patch ?? "").split("\n")) {
    if (line.startsWith("+++") || line.startsWith("---")) continue;
    if (line.startsWith("+")) added++;
    else if (line.startsWith("-")) removed++;
  }
  return { added, removed };
};
