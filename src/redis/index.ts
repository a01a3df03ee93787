export {
  createRedisClient,
  connectTo,
  dataNodes,
  duplicateClient,
  type RedisClient,
  type RedisClientOptions,
} from "./connect.js";
export { firstAddress, parseRedisUrl, RedisUrlError, type HostPort, type RedisTarget } from "./target.js";
export { EVICTION_POLICIES, parseDeclaredSettings, type DeclaredSettings } from "./declared.js";
export {
  assessRedisSettings,
  checkRedisSettings,
  readNodeSettings,
  type NodeSettings,
  type RedisSettingsReport,
  type SettingsVerdict,
  withDeclared,
} from "./settings.js";
