import { existsSync, lstatSync, readlinkSync } from "node:fs";
import { HyperionError } from "../../errors.ts";
import { runChild } from "../harness/spawn.ts";
import type { AgentJob, AgentRunner } from "./runner.ts";

/** Top-level system directories shown read-only (symlinks, as on merged-/usr systems, kept as links). */
const SYSTEM_DIRS = ["/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"];

/**
 * What of /etc a CLI needs: name resolution, TLS roots, users, the loader's cache, time zone.
 * Not all of /etc: it can hold credentials (netrc-like files, shadow, service configs).
 */
const ETC = [
  "/etc/resolv.conf",
  "/etc/hosts",
  "/etc/host.conf",
  "/etc/gai.conf",
  "/etc/nsswitch.conf",
  "/etc/passwd",
  "/etc/group",
  "/etc/services",
  "/etc/protocols",
  "/etc/ssl",
  "/etc/ca-certificates",
  "/etc/ca-certificates.conf",
  "/etc/pki",
  "/etc/ld.so.cache",
  "/etc/ld.so.conf",
  "/etc/ld.so.conf.d",
  "/etc/alternatives",
  "/etc/localtime",
  "/etc/mime.types",
];

export const INSTALL_HINT =
  'install bubblewrap (Debian/Ubuntu: `apt-get install bubblewrap`; Fedora: `dnf install bubblewrap`) and allow user namespaces (`sysctl kernel.unprivileged_userns_clone=1` where it is off), or set agents.sandbox to "off" to run agents unconfined';

const unavailable = (bwrap: string, why: string) =>
  new HyperionError("E_SANDBOX_UNAVAILABLE", `the agent sandbox cannot start (${bwrap}): ${why}`, {
    exitCode: 1,
    hint: INSTALL_HINT,
  });

/** The bubblewrap executable: HYPERION_BWRAP, else `bwrap` on the server's PATH. */
export const bwrapPath = (env: Record<string, string | undefined> = process.env): string =>
  env.HYPERION_BWRAP || Bun.which("bwrap") || "bwrap";

const probed = new Map<string, string | null>();

/**
 * Whether bubblewrap starts here (installed, user namespaces allowed): one real sandbox, run once
 * per process and remembered. Throws E_SANDBOX_UNAVAILABLE with the install step when it does not.
 */
export const checkBwrap = (bwrap: string): void => {
  if (!probed.has(bwrap)) {
    let why: string | null = null;
    try {
      const r = Bun.spawnSync([bwrap, "--ro-bind", "/", "/", "--unshare-all", "--die-with-parent", "true"], {
        stdin: "ignore",
        stdout: "ignore",
        stderr: "pipe",
      });
      if (r.exitCode !== 0) why = r.stderr.toString().trim().split("\n")[0] || `exit ${r.exitCode}`;
    } catch (e) {
      why = existsSync(bwrap) ? String((e as Error).message) : "not installed";
    }
    probed.set(bwrap, why);
  }
  const why = probed.get(bwrap);
  if (why) throw unavailable(bwrap, why);
};

/**
 * bubblewrap's arguments for one job: a fresh root with the system directories read-only, a
 * private /proc, /dev and /tmp, then only the job's own directories at their host paths. New
 * namespaces for everything (pid: the job cannot see or signal Hyperion; net unless `network`),
 * no capabilities, a new session (no terminal to inject into), and death with Hyperion.
 */
export const bwrapArgs = (job: AgentJob): string[] => {
  const a: string[] = ["--die-with-parent", "--new-session", "--unshare-all", "--cap-drop", "ALL"];
  if (job.network) a.push("--share-net");
  // Mapping uid 0 into a user namespace needs CAP_SETFCAP, which the job has not: from uid 1000
  // (still the host's root outside, owning the workspace) its own bubblewrap can map itself.
  if (job.nests && process.getuid?.() === 0) a.push("--unshare-user", "--uid", "1000", "--gid", "1000");
  for (const dir of SYSTEM_DIRS) {
    let st: ReturnType<typeof lstatSync>;
    try {
      st = lstatSync(dir);
    } catch {
      continue;
    }
    if (st.isSymbolicLink()) a.push("--symlink", readlinkSync(dir), dir);
    else if (st.isDirectory()) a.push("--ro-bind", dir, dir);
  }
  for (const f of ETC) a.push("--ro-bind-try", f, f);
  a.push("--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", "--tmpfs", "/var/tmp");
  // Later mounts go on top: the job's directories stay visible even under /tmp.
  for (const dir of job.readOnly) a.push("--ro-bind", dir, dir);
  for (const d of job.decoys) a.push("--bind", d.dir, d.at);
  for (const dir of [job.cache, job.home, ...job.writable, job.workspace]) a.push("--bind", dir, dir);
  a.push("--chdir", job.workspace);
  return a;
};

/** Every job inside bubblewrap. The group kill at a deadline takes bwrap, and its pid namespace with it. */
export const bwrapRunner = (bwrap: string): AgentRunner => ({
  name: "bubblewrap",
  run: (job) =>
    runChild([bwrap, ...bwrapArgs(job), "--", ...job.argv], {
      cwd: job.workspace,
      env: job.env,
      signal: job.signal,
    }),
});
