export { bwrapArgs, bwrapPath, bwrapRunner, checkBwrap, INSTALL_HINT } from "./bwrap.ts";
export { directRunner } from "./direct.ts";
export { installDirs } from "./install.ts";
export { decoyWrites, outOfBandWrite, type TreeState, treeChanges, treeState } from "./live-tree.ts";
export type { AgentJob, AgentRunner } from "./runner.ts";
