export { attachClusterMetrics } from "./cluster-metrics.js";
export {
  HEARTBEAT_TTL_MS,
  type AliveWorker,
  type Heartbeat,
  aliveWorkers,
  rolesReadiness,
  startHeartbeat,
  unservedRoles,
} from "./heartbeat.js";
