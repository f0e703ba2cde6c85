import { ROOT } from "../_helpers.ts";

const quote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;

/**
 * Runs `hyperion <args>` on a pseudo-terminal (util-linux `script`), so stdin and stdout are
 * TTYs as for a person. When the output shows `prompt`, types `answer`. Returns the exit code
 * and everything the terminal showed (stdout and stderr together, as on a screen).
 */
export const hyperionOnTty = async (
  args: string[],
  opts: { prompt?: string; answer?: string } = {},
): Promise<{ exitCode: number; screen: string; raw: string; prompted: boolean }> => {
  const cmd = [process.execPath, `${ROOT}/cmd/hyperion.ts`, ...args].map(quote).join(" ");
  // A pty starts with 0 columns, which would wrap the prompt one character per line.
  const proc = Bun.spawn(["script", "-qec", `stty cols 500 rows 50; exec ${cmd}`, "/dev/null"], {
    cwd: ROOT,
    env: { ...process.env, HYPERION_LOG: undefined, HYPERION_DB: undefined, NO_COLOR: undefined },
    stdin: "pipe",
    stdout: "pipe",
    stderr: "pipe",
  });
  let screen = "";
  let prompted = false;
  const decoder = new TextDecoder();
  for await (const chunk of proc.stdout) {
    screen += decoder.decode(chunk, { stream: true });
    if (opts.prompt !== undefined && !prompted && Bun.stripANSI(screen).includes(opts.prompt)) {
      prompted = true;
      proc.stdin.write(opts.answer ?? "");
      await proc.stdin.flush();
    }
  }
  await proc.stdin.end();
  return { exitCode: await proc.exited, screen: Bun.stripANSI(screen), raw: screen, prompted };
};
