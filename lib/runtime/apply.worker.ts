/// <reference lib="webworker" />
// A pool thread: its own connection, leasing and applying until told to stop.
import { z } from "zod";
import { HyperionError } from "../errors.ts";
import { log } from "../log.ts";
import { joinWriteLock, writeLockStats } from "../store/write-lock.ts";
import { createApplier } from "./applier.ts";
import { drain, stopSignal } from "./drain.ts";
import { type FromWorker, ToWorker } from "./outcome.ts";

declare const self: Worker;

// As for a command (cmd/_main.ts): a thread parses its config and messages a few times only.
z.config({ jitless: true });

const stop = stopSignal();
const post = (m: FromWorker) => self.postMessage(m);

self.onmessage = async (event: MessageEvent) => {
  const msg = ToWorker.parse(event.data);
  if (msg.type === "stop") {
    stop.stop();
    return;
  }
  let applier: ReturnType<typeof createApplier> | undefined;
  try {
    joinWriteLock(msg.writeLock);
    // The run ended while this thread was loading (another drained the line): nothing to open.
    if (Atomics.load(msg.stopped, 0) === 1) return;
    applier = createApplier(msg);
    await drain(applier, {
      db: msg.db,
      stop,
      permits: msg.permits,
      report: (outcomes) => post({ type: "outcomes", outcomes }),
      onEmpty: msg.untilEmpty ? () => post({ type: "empty", worker: msg.worker }) : undefined,
    });
  } catch (e) {
    // One line for the pool to report; the stack only when tracing (HYPERION_LOG=1).
    if (!(e instanceof HyperionError)) log.debug(String((e as Error)?.stack ?? e));
    const err =
      e instanceof HyperionError ? e : new HyperionError("E_INTERNAL", String((e as Error)?.message ?? e));
    post({ type: "error", worker: msg.worker, code: err.code, message: err.message });
  } finally {
    applier?.close();
    post({ type: "stopped", worker: msg.worker, write_lock: writeLockStats() });
  }
};
