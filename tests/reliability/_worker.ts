// One worker as its own process: leases and handles one change (apply, validate, commit),
// then prints its outcomes as one JSON line. Tests stop and resume it with signals.
import { createApplier } from "../../lib/runtime/applier.ts";

const [repo, db, worker, flags = ""] = process.argv.slice(2);
const applier = createApplier({
  repo: repo!,
  db: db!,
  worker: worker!,
  validate: flags.includes("validate"),
  commit: flags.includes("commit"),
});
let out = await applier.process(1);
// Nothing ready yet (the test enqueues first; this is a guard, not a wait).
for (let i = 0; out.length === 0 && i < 200; i++) {
  await Bun.sleep(10);
  out = await applier.process(1);
}
applier.close();
process.stdout.write(`${JSON.stringify(out)}\n`);
