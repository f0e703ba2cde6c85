// Child process for the concurrent-migration test: opens (and so migrates) the database given.
import { openDatabase } from "../../lib/store/index.ts";

const db = openDatabase(process.argv[2]!, { create: true, busyTimeoutMs: 30_000 });
db.close();
process.stdout.write("ok\n");
