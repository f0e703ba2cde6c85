// Child process for the crash tests: applies, rolls back or recovers against a real repository and
// database, and SIGKILLs itself right after the step named in argv (no clean-up of any kind runs).
import { readFileSync } from "node:fs";
import { applyChange, applyChanges, recoverApplies, rollbackChange } from "../../lib/patch/index.ts";
import { openDatabase } from "../../lib/store/index.ts";

const [mode, repo, dbPath, secretHex, payloadFile, killAt] = process.argv.slice(2) as [
  string,
  string,
  string,
  string,
  string,
  string,
];
const db = openDatabase(dbPath);
// killAt is a step name, or `name@n` for its n-th occurrence (steps repeat across a batch).
const [killStep, killNth] = killAt.includes("@")
  ? [killAt.split("@")[0], Number(killAt.split("@")[1])]
  : [killAt, 1];
const seen = new Map<string, number>();
const onStep = (step: string) => {
  process.stdout.write(`${step}\n`);
  const kind = step.split(":")[0]!;
  const n = (seen.get(kind) ?? 0) + 1;
  seen.set(kind, n);
  if (step === killAt || (kind === killStep && n === killNth)) process.kill(process.pid, "SIGKILL");
};
if (mode === "apply") {
  const change = JSON.parse(readFileSync(payloadFile, "utf8"));
  applyChange({ repo, db, secret: Buffer.from(secretHex, "hex"), change, onStep });
} else if (mode === "apply-many") {
  const changes = JSON.parse(readFileSync(payloadFile, "utf8"));
  applyChanges({ repo, db, secret: Buffer.from(secretHex, "hex"), changes, onStep, batch: 2 });
} else if (mode === "rollback") {
  rollbackChange({ repo, db, changeId: payloadFile, onStep });
} else {
  process.stdout.write(`${JSON.stringify(recoverApplies({ repo, db }))}\n`);
}
db.close();
