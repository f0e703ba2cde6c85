import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { makeFileChange } from "../../lib/patch/index.ts";
import { createQueue } from "../../lib/queue/index.ts";
import { openRepo } from "../../lib/store/index.ts";
import { faultRepo, until } from "./_faults-repo.ts";

// The lease must be watched for real time (lease_ms is at least 1 s): a cap against hangs.
setDefaultTimeout(30_000);

const HOUR = 3_600_000;

describe("lease expiry and clock steps", () => {
  test("a process whose clock is an hour ahead cannot take a live lease, only one whose heartbeats stopped", async () => {
    await using f = await faultRepo({
      files: { "a.txt": "a\n" },
      config: { queue: { lease_ms: 1_000, reclaim_interval_ms: 0 } },
    });
    const [c] = f.enqueue([{ task_id: "t", changes: [makeFileChange("a.txt", "a\n", "A\n")] }]);
    // The owner: this host's clock, heartbeats every tenth of its lease.
    const held = f.queue.lease("owner-host:1:w", { leaseMs: 1_000 })!;
    const beat = setInterval(() => f.queue.heartbeat(held.id, held.token, 1_000), 100);
    // The other process: its own connection, a clock an hour ahead.
    const other = openRepo({ repo: f.root });
    const ahead = createQueue(other.db, {
      secret: f.secret,
      config: other.config.queue,
      now: () => Date.now() + HOUR,
    });
    try {
      // Two whole lease lengths of trying, while the owner is alive: never taken.
      const end = performance.now() + 2_000;
      while (performance.now() < end) {
        expect(ahead.lease("ahead-host:2:w")).toBeNull();
        await Bun.sleep(50);
      }
      expect(f.queue.get(c!.id)).toMatchObject({ status: "leased", lease_token: held.token });
      // The owner stops: a lease length later the other process takes it over.
      clearInterval(beat);
      let taken: ReturnType<typeof ahead.lease> = null;
      await until(() => {
        taken = ahead.lease("ahead-host:2:w");
        return taken !== null;
      }, "the abandoned lease to be taken");
      expect(taken!).toMatchObject({ id: c!.id, token: held.token + 1 });
      expect(f.queue.heartbeat(held.id, held.token, 1_000)).toBe(false);
    } finally {
      clearInterval(beat);
      other[Symbol.dispose]();
    }
  });
});
