// Worker thread of the queue benchmark: its own connection; drains one at a time (or in
// batches) after "go" and reports how many it took and when.
import { openSystem, type SystemName } from "./queue-systems.ts";

declare const self: Worker;

type Start = { system: SystemName; path: string; name: string; batch: number };

self.onmessage = (e: MessageEvent<Start | "go">) => {
  if (e.data !== "go") {
    const { system, path, name, batch } = e.data;
    const s = openSystem(system, path, name);
    self.onmessage = () => {
      const t0 = performance.timeOrigin + performance.now();
      let n = 0;
      if (batch > 1) for (let k = s.drainBatch(batch); k > 0; k = s.drainBatch(batch)) n += k;
      else while (s.cycle()) n++;
      const t1 = performance.timeOrigin + performance.now();
      s.close();
      self.postMessage({ n, t0, t1 });
    };
    self.postMessage("ready");
  }
};
