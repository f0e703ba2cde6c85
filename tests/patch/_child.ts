// Child process for the crash tests: applies, rolls back or recovers against a real repository and
// database, and SIGKILLs itself right after the step named in argv (no clean-up of any kind runs).
import { readFileSync } from "node:fs";
import { applyChange, applyChangesAsync, recoverApplies, rollbackChange } from "../../lib/patch/index.ts";
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
const onStep = (step: string) => {
  process.stdout.write(`${step}\n`);
  if (step === killAt) process.kill(process.pid, "SIGKILL");
};
if (mode === "apply") {
  const change = JSON.parse(readFileSync(payloadFile, "utf8"));
  applyChange({ repo, db, secret: Buffer.from(secretHex, "hex"), change, onStep });
} else if (mode === "apply-async") {
  const change = JSON.parse(readFileSync(payloadFile, "utf8"));
  const [out] = await applyChangesAsync({
    repo,
    db,
    secret: Buffer.from(secretHex, "hex"),
    changes: [change],
    onStep,
  });
  if (!out?.ok) throw out?.error;
} else if (mode === "rollback") {
  rollbackChange({ repo, db, changeId: payloadFile, onStep });
} else {
  process.stdout.write(`${JSON.stringify(recoverApplies({ repo, db }))}\n`);
}
db.close();
