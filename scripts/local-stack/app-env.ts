/**
 * The configuration of the app's processes (webhook, worker) run on this machine against local services — the
 * simulator, Azurite, a Redis — as `npm start`, the benchmarks and the scale scenario start them.
 */

/** The simulator's resource id; the example policies' identities live under it (docs/policies.md "Local identities"). */
export const LOCAL_RESOURCE_ID = "5e1f7a2c-0d3b-4c8e-9a61-2f4b8c7d9e10";
/** Two trading-desk members (policies/trading-desk.yaml: recording required). */
export const ALICE = `8:acs:${LOCAL_RESOURCE_ID}_00000001-alice`;
export const BOB = `8:acs:${LOCAL_RESOURCE_ID}_00000002-bob`;

export interface LocalServices {
  simulator: { connectionString: string; openIdConfigurationUrl: string; url: string };
  resourceId: string;
  redisUrl: string;
  redisPrefix: string;
  blobConnectionString: string;
  eventGridSecret: string;
}

/**
 * Environment of a webhook listening on `port` (a worker ignores PORT) whose callbacks come back to
 * `publicBaseUrl` (default: that port), plus `extra` (e.g. WORKER_CONCURRENCY).
 */
export function localAppEnv(
  services: LocalServices,
  web: { port: number; publicBaseUrl?: string },
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    NODE_ENV: "development",
    PORT: String(web.port),
    HOST: "127.0.0.1",
    PUBLIC_BASE_URL: web.publicBaseUrl ?? `http://127.0.0.1:${web.port}`,
    ACS_CONNECTION_STRING: services.simulator.connectionString,
    ACS_RESOURCE_ID: services.resourceId,
    ACS_OPENID_CONFIGURATION_URL: services.simulator.openIdConfigurationUrl,
    ACS_LOCAL_SIMULATOR_URL: services.simulator.url,
    REDIS_URL: services.redisUrl,
    REDIS_PREFIX: services.redisPrefix,
    BLOB_CONNECTION_STRING: services.blobConnectionString,
    // Azurite speaks plain HTTP: SAS URLs must be usable over it here (https only anywhere else).
    BLOB_SAS_ALLOW_HTTP: "true",
    BLOB_CONTAINER: "recordings",
    POLICY_DIR: "policies",
    EVENTGRID_SECRET: services.eventGridSecret,
    // The worker announces readiness at info.
    LOG_LEVEL: "info",
    ...extra,
  };
}
