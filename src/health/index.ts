export {
  COMPONENTS,
  HEALTHY,
  assessHealth,
  failingDependency,
  type Component,
  type ComponentSignals,
  type HealthSignals,
  type HealthVerdict,
} from "./assess.js";
export { createHealthStore, type HealthStore } from "./store.js";
