#!/usr/bin/env bun
import { cli } from "./_main.ts";
import { root } from "./_root.ts";

export { root };

// The root lives in _root.ts: `demo` runs steps through it, and importing this file from inside
// its own top-level await would wait on itself.
if (import.meta.main) await cli(root);
