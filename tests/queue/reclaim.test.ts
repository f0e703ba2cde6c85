import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { ownerGone, ownerId, parseOwner } from "../../lib/queue/index.ts";
import { cr, manualClock, queueFixture } from "./_fixture.ts";
import { lines } from "./_lines.ts";

const CHILD = join(import.meta.dir, "_hold-lease.ts");

/** A real child process that leases one change and then waits for orders on stdin. */
const holder = async (db: string, worker: string, leaseMs: number, host?: string) => {
  const proc = Bun.spawn([process.execPath, CHILD, db, worker, String(leaseMs), ...(host ? [host] : [])], {
    stdin: "pipe",
    stdout: "pipe",
    stderr: "inherit",
    env: { ...process.env, HYPERION_LOG: undefined },
  });
  const next = lines(proc.stdout);
  const lease = JSON.parse(await next()) as { id: string; token: number; owner: string; pid: number };
  const ask = async (cmd: string) => {
    proc.stdin.write(`${cmd}\n`);
    proc.stdin.flush();
    return JSON.parse(await next()) as { ok?: unknown; code?: string };
  };
  return { proc, lease, ask };
};

describe("reclaim", () => {
  test("an expired lease goes back to the queue and is logged lease_expired", async () => {
    const clock = manualClock();
    await using f = await queueFixture({ now: clock.now });
    const [a] = f.queue.enqueue(cr(["a"]));
    const l = f.queue.lease("elsewhere:1:w", { leaseMs: 1_000 })!;
    clock.advance(1_000);
    expect(f.queue.reclaim()).toBe(0);
    clock.advance(1);
    expect(f.queue.reclaim()).toBe(1);
    expect(f.queue.get(a!.id)).toMatchObject({ status: "queued", lease_owner: null, attempts: 1 });
    expect(f.queue.logs(a!.id).at(-1)).toMatchObject({
      event: "lease_expired",
      data: { reason: "expired", owner: "elsewhere:1:w", token: l.token, outcome: "queued" },
    });
  });

  test("a change whose leases keep expiring becomes a dead letter after max_attempts", async () => {
    const clock = manualClock();
    await using f = await queueFixture({ now: clock.now, config: { max_attempts: 2 } });
    const [a] = f.queue.enqueue(cr(["a"]));
    for (let i = 0; i < 2; i++) {
      expect(f.queue.lease("elsewhere:1:w", { leaseMs: 1_000 })?.id).toBe(a!.id);
      clock.advance(1_001);
    }
    expect(f.queue.lease("elsewhere:1:w")).toBeNull();
    expect(f.queue.deadLetter(a!.id)).toMatchObject({ reason_code: "E_LEASE_EXPIRED", attempts: 2 });
  });

  test("owner ids name host, pid and worker; only an exited local process counts as gone", async () => {
    const owner = ownerId("w1");
    expect(parseOwner(owner)).toMatchObject({ host: expect.any(String), pid: process.pid, worker: "w1" });
    expect(ownerGone(owner)).toBe(false);
    expect(ownerGone("some-other-host:1:w")).toBe(false);
    const done = Bun.spawn([process.execPath, "-e", "0"]);
    await done.exited;
    expect(ownerGone(ownerId("w", done.pid))).toBe(true);
  });

  test("a worker killed with SIGKILL: its change is leased again at once and finishes", async () => {
    await using f = await queueFixture();
    const [a] = f.queue.enqueue(cr(["a"]));
    const h = await holder(f.path, "doomed", 60_000);
    expect(h.lease.id).toBe(a!.id);
    expect(f.queue.lease(ownerId("rescuer"))).toBeNull();
    h.proc.kill("SIGKILL");
    await h.proc.exited;
    expect(f.queue.reclaim()).toBe(1);
    expect(f.queue.logs(a!.id).at(-1)).toMatchObject({
      event: "lease_expired",
      data: { reason: "owner_gone" },
    });
    const again = f.queue.lease(ownerId("rescuer"))!;
    expect(again).toMatchObject({ id: a!.id, token: h.lease.token + 1, attempts: 2 });
    f.queue.complete(again.id, again.token);
    expect(f.queue.get(a!.id)!.status).toBe("applied");
  });

  test("leasing reclaims a dead local owner's lease by itself, without waiting for expiry", async () => {
    await using f = await queueFixture();
    const [a] = f.queue.enqueue(cr(["a"]));
    const h = await holder(f.path, "doomed", 60_000);
    h.proc.kill("SIGKILL");
    await h.proc.exited;
    const fresh = f.other();
    expect(fresh.queue.lease(ownerId("rescuer"))?.id).toBe(a!.id);
  });

  test("a killed worker on another host is leased again only after its lease expires", async () => {
    const clock = manualClock(Date.now());
    await using f = await queueFixture({ now: clock.now });
    const [a] = f.queue.enqueue(cr(["a"]));
    const h = await holder(f.path, "remote", 5_000, "another-host");
    h.proc.kill("SIGKILL");
    await h.proc.exited;
    expect(f.queue.reclaim()).toBe(0);
    expect(f.queue.lease(ownerId("rescuer"))).toBeNull();
    clock.set(f.queue.get(a!.id)!.leased_until! + 1);
    expect(f.queue.lease(ownerId("rescuer"))?.id).toBe(a!.id);
  });

  test("a stalled worker (SIGSTOP past its lease, then SIGCONT) cannot complete or fail the change taken over", async () => {
    const clock = manualClock(Date.now());
    await using f = await queueFixture({ now: clock.now });
    const [a] = f.queue.enqueue(cr(["a"]));
    const h = await holder(f.path, "stalled", 1_000);
    h.proc.kill("SIGSTOP");
    try {
      // This process watches the lease from here: expiry also needs a lease length without a heartbeat.
      expect(f.queue.reclaim()).toBe(0);
      clock.set(f.queue.get(a!.id)!.leased_until! + 1);
      const taken = f.queue.lease(ownerId("rescuer"))!;
      expect(taken).toMatchObject({ id: a!.id, token: h.lease.token + 1 });
      h.proc.kill("SIGCONT");
      expect(await h.ask("complete")).toEqual({ code: "E_LEASE_LOST" });
      expect(await h.ask("fail")).toEqual({ code: "E_LEASE_LOST" });
      expect(await h.ask("heartbeat")).toEqual({ ok: false });
      expect(f.queue.get(a!.id)).toMatchObject({ status: "leased", lease_token: taken.token });
      f.queue.complete(taken.id, taken.token);
      expect(f.queue.get(a!.id)).toMatchObject({ status: "applied", attempts: 2 });
      h.proc.stdin.write("exit\n");
      h.proc.stdin.end();
      expect(await h.proc.exited).toBe(0);
    } finally {
      h.proc.kill("SIGKILL");
    }
  });
});
