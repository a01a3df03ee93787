export { decide, isMember } from "./evaluate.js";
export { loadPolicies, parsePolicyFile, PolicyError } from "./load.js";
export type * from "./types.js";
