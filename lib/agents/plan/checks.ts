import { basename } from "node:path";

/** A file's stem for matching a check to the files it covers: `math` for src/math.ts and tests/math.test.ts. */
const stem = (path: string): string => basename(path).replace(/(\.(test|spec))?\.[^.]+$/, "");

/**
 * The quick checks of one task: the plan's commands (not its validation policy, which is the
 * whole suite) that name a file whose stem is one of the task's files' stems, such as
 * `bun test tests/math.test.ts` for a task that owns src/math.ts. They run on the task's change
 * before it joins a validation batch, so a bad change rarely reaches one.
 */
export const quickChecks = (
  ownedPaths: readonly string[],
  plan: { commands: readonly string[]; validation: readonly string[] },
): string[] => {
  const stems = new Set(ownedPaths.map(stem));
  const suite = new Set(plan.validation);
  return plan.commands.filter(
    (command) =>
      !suite.has(command) &&
      command
        .split(/\s+/)
        .slice(1)
        .some((word) => /[/.]/.test(word) && stems.has(stem(word))),
  );
};
