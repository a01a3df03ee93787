export { attachClusterMetrics } from "./cluster-metrics.js";
export { HEARTBEAT_TTL_MS, type Heartbeat, aliveWorkers, startHeartbeat } from "./heartbeat.js";
