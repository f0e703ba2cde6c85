import { describe, expect, test } from "bun:test";
import { existsSync, readdirSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { applyChange, makeFileChange, rollbackChange } from "../../lib/patch/index.ts";
import { openDatabase } from "../../lib/store/index.ts";
import { run } from "../_helpers.ts";
import { type Fixture, fixture, rows, snapshotTree } from "./_fixture.ts";

const CHILD = join(import.meta.dir, "_child.ts");

const BEFORE = {
  "a.txt": "alpha\nbeta\ngamma\n",
  "b/c.txt": "to be deleted\n",
  "d.txt": "moving\nfile\n",
  "tool.sh": ["#!/bin/sh\necho hi\n", 0o755] as [string, number],
};

/** A change touching every kind of operation, in new and existing directories. */
const change = () => ({
  task_id: "t-crash",
  changes: [
    makeFileChange("a.txt", BEFORE["a.txt"], "alpha\nBETA\ngamma\n"),
    makeFileChange("b/c.txt", BEFORE["b/c.txt"], null),
    makeFileChange("d.txt", BEFORE["d.txt"], "moved\nfile\n", { newPath: "e/f/d.txt" }),
    makeFileChange("new/dir/g.txt", null, "created\n", { mode: 0o755 }),
    makeFileChange("tool.sh", BEFORE["tool.sh"][0], "#!/bin/sh\necho bye\n"),
  ],
});

const child = (f: Fixture, mode: string, arg: string, killAt = "") =>
  run([process.execPath, CHILD, mode, f.repo, f.dbPath, f.secret.toString("hex"), arg, killAt]);

/** A fresh repository with BEFORE in it, a database, and the change signed and written to a file. */
const setup = async () => {
  const f = await fixture();
  f.write(BEFORE);
  const row = f.signed({ ...change(), id: "cr-crash" });
  const payloadFile = join(f.root, "row.json");
  writeFileSync(payloadFile, JSON.stringify(row));
  return { f, row, payloadFile };
};

/** The tree and journal as a finished apply leaves them, computed once in-process. */
const expected = async () => {
  const { f, row } = await setup();
  await using _ = f;
  const pre = snapshotTree(f.repo);
  applyChange({ repo: f.repo, db: f.db, secret: f.secret, change: row });
  return { pre, post: snapshotTree(f.repo) };
};

const stepsOf = (stdout: string) => stdout.split("\n").filter(Boolean);
const lastTemp = (steps: string[]) => steps.findLastIndex((s) => s.startsWith("temp:"));

describe("crash at every step of an apply", async () => {
  const { pre, post } = await expected();
  const { f: probe, payloadFile } = await setup();
  const recorded = await child(probe, "apply", payloadFile);
  await probe[Symbol.asyncDispose]();
  const steps = stepsOf(recorded.stdout);

  test("a full run passes every step and writes the expected tree", () => {
    expect(recorded.exitCode).toBe(0);
    expect(steps).toEqual([
      "verified",
      "planned",
      "intent",
      "temp:a.txt",
      "temp:e/f/d.txt",
      "temp:new/dir/g.txt",
      "temp:tool.sh",
      "temps",
      "rename:a.txt",
      "rename:b/c.txt",
      "rename:d.txt",
      "rename:e/f/d.txt",
      "rename:new/dir/g.txt",
      "rename:tool.sh",
      "committed",
    ]);
    expect(post).not.toEqual(pre);
  });

  for (const step of steps) {
    test(`killed after '${step}', recovery in a fresh process leaves all or nothing`, async () => {
      const { f, row, payloadFile } = await setup();
      await using _ = f;
      const killed = await child(f, "apply", payloadFile, step);
      expect(killed.exitCode).not.toBe(0);
      expect(stepsOf(killed.stdout).at(-1)).toBe(step);

      const recovered = await child(f, "recover", "");
      expect(recovered.exitCode).toBe(0);
      const report = JSON.parse(recovered.stdout);
      const tree = snapshotTree(f.repo);
      const db = openDatabase(f.dbPath);
      try {
        const state = rows(db);
        expect(state.journal.filter((j) => j.state === "pending")).toEqual([]);
        // Renames start only once every temp is complete: forward from the last temp on, else back.
        const forward = steps.indexOf(step) >= lastTemp(steps);
        if (forward) {
          expect(tree).toEqual(post);
          if (step !== "committed") expect(report.rolledForward).toEqual(["cr-crash"]);
          // Five files, the rename audited under both of its paths.
          expect(state.mods).toHaveLength(6);
          // The queue retries the change: it is reported applied, nothing is written twice.
          const again = applyChange({ repo: f.repo, db, secret: f.secret, change: row });
          expect(again.already).toBe(true);
          expect(snapshotTree(f.repo)).toEqual(post);
        } else {
          expect(tree).toEqual(pre);
          expect(report.rolledBack).toEqual(
            steps.indexOf(step) >= steps.indexOf("intent") ? ["cr-crash"] : [],
          );
          expect(state.pre).toEqual([]);
          expect(state.mods).toEqual([]);
          // Nothing is lost: the retried change applies in full.
          applyChange({ repo: f.repo, db, secret: f.secret, change: row });
          expect(snapshotTree(f.repo)).toEqual(post);
        }
      } finally {
        db.close();
      }
    });
  }

  test("a temp file torn by the crash is caught by its hash and the change rolled back", async () => {
    const { f, payloadFile } = await setup();
    await using _ = f;
    await child(f, "apply", payloadFile, "temps");
    const tmp = readdirSync(f.repo).find((n) => n.startsWith(".hyperion-tmp-"))!;
    truncateSync(join(f.repo, tmp), 3);
    const report = JSON.parse((await child(f, "recover", "")).stdout);
    expect(report.rolledBack).toEqual(["cr-crash"]);
    expect(snapshotTree(f.repo)).toEqual(pre);
  });

  test("a file edited between the crash and recovery is left alone and reported stuck", async () => {
    const { f, payloadFile } = await setup();
    await using _ = f;
    await child(f, "apply", payloadFile, "rename:b/c.txt");
    f.write({ "tool.sh": "edited by a person\n" });
    const tree = snapshotTree(f.repo);
    const report = JSON.parse((await child(f, "recover", "")).stdout);
    expect(report.stuck).toEqual(["cr-crash"]);
    expect(snapshotTree(f.repo)).toEqual(tree);
    expect(rows(f.db).journal).toEqual([{ change_id: "cr-crash", kind: "apply", state: "pending" }]);
  });

  test("recovery leaves the entry of a live process alone", async () => {
    const { f, row } = await setup();
    await using _ = f;
    // This test process is alive: its pending entry is not another's to settle.
    expect(() =>
      applyChange({
        repo: f.repo,
        db: f.db,
        secret: f.secret,
        change: row,
        onStep: (s) => {
          if (s === "temps") throw new Error("stop here");
        },
      }),
    ).toThrow("stop here");
    const report = JSON.parse((await child(f, "recover", "")).stdout);
    expect(report.skipped).toEqual(["cr-crash"]);
    expect(rows(f.db).journal).toEqual([{ change_id: "cr-crash", kind: "apply", state: "pending" }]);
  });
});

describe("crash in the middle of a batch applied in groups", () => {
  // Six two-file changes in groups of two: a crash leaves groups done, in flight and not started.
  const N = 6;
  const batchSetup = async () => {
    const f = await fixture();
    const files: Record<string, string> = {};
    for (let i = 0; i < N; i++) Object.assign(files, { [`x${i}.txt`]: `x${i}\n`, [`y${i}.txt`]: `y${i}\n` });
    f.write(files);
    const rowsFile = join(f.root, "rows.json");
    const changes = Array.from({ length: N }, (_, i) =>
      f.signed({
        id: `cr-${i}`,
        task_id: "t",
        changes: [
          makeFileChange(`x${i}.txt`, `x${i}\n`, `X${i}\n`),
          makeFileChange(`y${i}.txt`, `y${i}\n`, null),
        ],
      }),
    );
    writeFileSync(rowsFile, JSON.stringify(changes));
    return { f, rowsFile };
  };

  for (const killAt of ["intent@2", "temp@3", "temps@2", "rename@3", "rename@6", "committed@2"]) {
    test(`killed at ${killAt}: after recovery every change is wholly applied or wholly not`, async () => {
      const { f, rowsFile } = await batchSetup();
      await using _ = f;
      expect((await child(f, "apply-many", rowsFile, killAt)).exitCode).not.toBe(0);
      // Once files were replaced, the dead process had kept their inodes; recovery removes them.
      const spares = join(f.repo, ".hyperion/spares");
      const kept = () => (existsSync(spares) ? readdirSync(spares) : []);
      if (killAt.startsWith("rename")) expect(kept().length).toBeGreaterThan(0);
      expect((await child(f, "recover", "")).exitCode).toBe(0);
      expect(kept()).toEqual([]);
      let applied = 0;
      for (let i = 0; i < N; i++) {
        const x = f.read(`x${i}.txt`);
        const yGone = !existsSync(join(f.repo, `y${i}.txt`));
        expect({ i, x, yGone }).toEqual(
          x === `X${i}\n` ? { i, x, yGone: true } : { i, x: `x${i}\n`, yGone: false },
        );
        if (yGone) applied++;
      }
      expect(rows(f.db).journal.filter((j) => j.state === "pending")).toEqual([]);
      expect(rows(f.db).journal.filter((j) => j.state === "applied")).toHaveLength(applied);
      expect(readdirSync(f.repo).filter((n) => n.startsWith(".hyperion-tmp-"))).toEqual([]);
    });
  }
});

describe("crash at every step of a stack written once", async () => {
  // Three changes stacked on a.txt (1 -> 2 -> 3 -> 4), the middle one creating b.txt; groups of
  // two, so the first two are one unit (a.txt written once) and the third a group of its own.
  const stackSetup = async () => {
    const f = await fixture();
    f.write({ "a.txt": "1\n" });
    const rowsList = [
      f.signed({ task_id: "t", changes: [makeFileChange("a.txt", "1\n", "2\n")] }),
      f.signed({
        task_id: "t",
        changes: [makeFileChange("a.txt", "2\n", "3\n"), makeFileChange("b.txt", null, "b\n")],
      }),
      f.signed({ task_id: "t", changes: [makeFileChange("a.txt", "3\n", "4\n")] }),
    ];
    const rowsFile = join(f.root, "rows.json");
    writeFileSync(rowsFile, JSON.stringify(rowsList));
    return { f, rowsFile };
  };
  const { f: probe, rowsFile: probeRows } = await stackSetup();
  const recorded = await child(probe, "apply-many", probeRows);
  await probe[Symbol.asyncDispose]();
  const steps = stepsOf(recorded.stdout);
  // Each step by its occurrence (name@n), as the child counts them.
  const seen = new Map<string, number>();
  const points = steps.map((s) => {
    const kind = s.split(":")[0]!;
    seen.set(kind, (seen.get(kind) ?? 0) + 1);
    return `${kind}@${seen.get(kind)}`;
  });

  test("the full run writes a.txt once per group", () => {
    expect(recorded.exitCode).toBe(0);
    expect(steps.filter((s) => s === "rename:a.txt")).toHaveLength(2);
  });

  for (const killAt of points) {
    test(`killed at ${killAt}: after recovery the tree is a prefix of the stack, as the journal says`, async () => {
      const { f, rowsFile } = await stackSetup();
      await using _ = f;
      expect((await child(f, "apply-many", rowsFile, killAt)).exitCode).not.toBe(0);
      expect((await child(f, "recover", "")).exitCode).toBe(0);
      const applied = rows(f.db).journal.filter((j) => j.state === "applied").length;
      expect(rows(f.db).journal.filter((j) => j.state === "pending")).toEqual([]);
      expect({ a: f.read("a.txt"), b: existsSync(join(f.repo, "b.txt")) }).toEqual({
        a: `${applied + 1}\n`,
        b: applied >= 2,
      });
      expect(readdirSync(f.repo).filter((n) => n.includes(".hyperion-tmp-"))).toEqual([]);
    });
  }
});

describe("crash at every step of a rollback", async () => {
  const { pre, post } = await expected();
  const { f: probe, row: probeRow } = await setup();
  applyChange({ repo: probe.repo, db: probe.db, secret: probe.secret, change: probeRow });
  const recorded = await child(probe, "rollback", "cr-crash");
  await probe[Symbol.asyncDispose]();
  const steps = stepsOf(recorded.stdout);

  test("a full rollback run passes its steps", () => {
    expect(recorded.exitCode).toBe(0);
    expect(steps[0]).toBe("intent");
    expect(steps.at(-1)).toBe("committed");
  });

  for (const step of steps) {
    test(`killed after '${step}', recovery leaves the change applied or wholly rolled back`, async () => {
      const { f, row } = await setup();
      await using _ = f;
      applyChange({ repo: f.repo, db: f.db, secret: f.secret, change: row });
      const killed = await child(f, "rollback", "cr-crash", step);
      expect(killed.exitCode).not.toBe(0);
      await child(f, "recover", "");
      const tree = snapshotTree(f.repo);
      const applied = rows(f.db).journal.find((j: { kind: string }) => j.kind === "apply") as {
        state: string;
      };
      if (steps.indexOf(step) >= lastTemp(steps)) {
        expect(tree).toEqual(pre);
        expect(applied.state).toBe("rolled_back");
      } else {
        expect(tree).toEqual(post);
        expect(applied.state).toBe("applied");
        rollbackChange({ repo: f.repo, db: f.db, changeId: "cr-crash" });
        expect(snapshotTree(f.repo)).toEqual(pre);
      }
    });
  }
});
