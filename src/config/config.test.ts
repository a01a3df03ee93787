import { describe, expect, it } from "vitest";
import {
  ConfigError,
  declaredRedisSettings,
  entraSettings,
  intakeDurability,
  loadConfig,
  playbackTicketSecret,
  serverSecret,
} from "./index.js";

const valid = {
  PUBLIC_BASE_URL: "https://recorder.example.com",
  ACS_CONNECTION_STRING: "endpoint=https://acs.example.communication.azure.com/;accesskey=a2V5",
  ACS_RESOURCE_ID: "5e1f7a2c-0d3b-4c8e-9a61-2f4b8c7d9e10",
  REDIS_URL: "redis://127.0.0.1:6379",
  BLOB_CONNECTION_STRING: "UseDevelopmentStorage=true",
  EVENTGRID_SECRET: "s1, s2",
};

function problemsOf(env: Record<string, string | undefined>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe("loadConfig", () => {
  it("accepts a minimal production configuration with defaults", () => {
    const config = loadConfig({ ...valid, NODE_ENV: "production" });
    expect(config.PORT).toBe(8080);
    expect(config.EVENTGRID_SECRET).toEqual(["s1", "s2"]);
    expect(config.RECORDING_HOST_SUFFIXES).toContain(".asm.skype.com");
    expect(config.ACS_LOCAL_SIMULATOR_URL).toBeUndefined();
  });

  it.each([
    ["REDIS_URL", undefined, "REDIS_URL is required"],
    ["REDIS_URL", "localhost:6379", "REDIS_URL: must be redis://"],
    ["REDIS_URL", "redis+cluster://node-a:7000/1", "REDIS_URL: a Redis Cluster has database 0 only"],
    ["REDIS_URL", "redis+sentinel://s1:26379", "REDIS_URL: needs the master's name"],
    ["PORT", "eighty", "PORT:"],
    ["ACS_CONNECTION_STRING", "https://acs", "ACS_CONNECTION_STRING: must look like"],
    ["EVENTGRID_SECRET", " , ", "EVENTGRID_SECRET"],
    ["EVENTGRID_ENTRA_JWKS_URL", "not a url", "EVENTGRID_ENTRA_JWKS_URL"],
    ["BLOB_CONTAINER", "Bad_Name", "BLOB_CONTAINER"],
  ])("names the bad variable %s", (name, value, message) => {
    const problems = problemsOf({ ...valid, [name]: value });
    expect(problems.join("\n")).toContain(message);
  });

  it.each(["redis+cluster://10.0.0.1:7000,10.0.0.2:7000", "rediss+sentinel://:pw@s1:26379,s2:26379/recorder"])(
    "accepts the Redis deployment %s",
    (url) => {
      expect(loadConfig({ ...valid, REDIS_URL: url }).REDIS_URL).toBe(url);
    },
  );

  it("accepts Entra authentication instead of a shared secret, deriving issuer and keys from the tenant", () => {
    const config = loadConfig({
      ...valid,
      EVENTGRID_SECRET: undefined,
      EVENTGRID_ENTRA_AUDIENCE: "api://recorder",
      EVENTGRID_ENTRA_TENANT_ID: "tenant-1",
    });
    expect(entraSettings(config)).toEqual({
      audience: "api://recorder",
      issuer: "https://sts.windows.net/tenant-1/",
      jwksUrl: "https://login.microsoftonline.com/tenant-1/discovery/v2.0/keys",
      // Only Event Grid's own application, with the role its set-up script assigns (src/intake/entra.ts).
      allowedAppIds: ["4962773b-9cdb-44cf-a8bf-237846a00ab7"],
      requiredRole: "AzureEventGridSecureWebhookSubscriber",
    });
    const government = loadConfig({
      ...valid,
      EVENTGRID_ENTRA_AUDIENCE: "api://recorder",
      EVENTGRID_ENTRA_TENANT_ID: "tenant-1",
      EVENTGRID_ENTRA_ALLOWED_APP_IDS: "54316b56-3481-47f9-8f30-0300f5542a7b",
    });
    expect(entraSettings(government)?.allowedAppIds).toEqual(["54316b56-3481-47f9-8f30-0300f5542a7b"]);
  });

  it("needs a secret or Entra, and Entra needs a tenant (or issuer and keys)", () => {
    expect(problemsOf({ ...valid, EVENTGRID_SECRET: undefined })[0]).toContain("EVENTGRID_SECRET is required");
    expect(problemsOf({ ...valid, EVENTGRID_ENTRA_AUDIENCE: "api://recorder" })[0]).toContain(
      "EVENTGRID_ENTRA_TENANT_ID",
    );
  });

  it("needs a playback ticket secret in production; elsewhere makes a random one per process", () => {
    expect(() => playbackTicketSecret(loadConfig({ ...valid, NODE_ENV: "production" }))).toThrow(
      /PLAYBACK_TICKET_SECRET is required/,
    );
    const secret = "x".repeat(32);
    expect(playbackTicketSecret(loadConfig({ ...valid, NODE_ENV: "production", PLAYBACK_TICKET_SECRET: secret }))).toBe(
      secret,
    );
    const development = loadConfig(valid);
    expect(playbackTicketSecret(development)).not.toBe(playbackTicketSecret(development));
    expect(problemsOf({ ...valid, PLAYBACK_TICKET_SECRET: "short" }).join()).toContain("PLAYBACK_TICKET_SECRET");
  });

  it("needs a server secret (cursors, admin sessions) in production; elsewhere makes a random one per process", () => {
    expect(() => serverSecret(loadConfig({ ...valid, NODE_ENV: "production" }))).toThrow(/SERVER_SECRET is required/);
    const secret = "s".repeat(32);
    expect(serverSecret(loadConfig({ ...valid, NODE_ENV: "production", SERVER_SECRET: secret }))).toBe(secret);
    const development = loadConfig(valid);
    expect(serverSecret(development)).not.toBe(serverSecret(development));
    expect(problemsOf({ ...valid, SERVER_SECRET: "short" }).join()).toContain("SERVER_SECRET");
  });

  it("reads the hardening settings, with safe defaults", () => {
    expect(loadConfig(valid)).toMatchObject({
      AUDIT_STREAM_MAXLEN: 10_000,
      TRUST_PROXY: 0,
      RATE_LIMIT_PER_ADDRESS: 600,
      RATE_LIMIT_PER_TOKEN: 1200,
      VERIFY_CONCURRENCY: 2,
      ADMIN_BOARD_MODE: "read-only",
      ADMIN_SESSION_SECONDS: 3600,
    });
    expect(loadConfig(valid).OPS_PORT).toBeUndefined();
    expect(loadConfig({ ...valid, TRUST_PROXY: "2", OPS_PORT: "8082", ADMIN_BOARD_MODE: "operate" })).toMatchObject({
      TRUST_PROXY: 2,
      OPS_PORT: 8082,
      ADMIN_BOARD_MODE: "operate",
    });
    for (const [name, value] of [
      ["ADMIN_BOARD_MODE", "read-write"],
      ["AUDIT_STREAM_MAXLEN", "5"],
      ["TRUST_PROXY", "-1"],
      ["RATE_LIMIT_PER_ADDRESS", "many"],
    ] as const)
      expect(problemsOf({ ...valid, [name]: value }).join(), name).toContain(name);
  });

  it("needs a workspace id to reconcile against Log Analytics, and a well-formed resource id for the storage archive", () => {
    expect(problemsOf({ ...valid, RECONCILE_SOURCE: "log-analytics" })).toEqual([
      "RECONCILE_WORKSPACE_ID is required with RECONCILE_SOURCE=log-analytics",
    ]);
    expect(
      problemsOf({
        ...valid,
        RECONCILE_SOURCE: "log-analytics",
        RECONCILE_WORKSPACE_ID: "63613592-b6f7-4c3d-a390-22ba13102111",
      }),
    ).toEqual([]);
    expect(problemsOf({ ...valid, RECONCILE_STORAGE_RESOURCE_ID: "ACS-A" }).join()).toContain(
      "RECONCILE_STORAGE_RESOURCE_ID",
    );
    expect(
      problemsOf({
        ...valid,
        RECONCILE_STORAGE_RESOURCE_ID:
          "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.Communication/communicationServices/acs-a",
      }),
    ).toEqual([]);
  });

  it("refuses the simulator routing in production", () => {
    expect(problemsOf({ ...valid, NODE_ENV: "production", ACS_LOCAL_SIMULATOR_URL: "http://127.0.0.1:8480" })).toEqual([
      "ACS_LOCAL_SIMULATOR_URL must not be set when NODE_ENV=production",
    ]);
  });

  it.each([
    [{ NODE_ENV: "production" }, { mode: "aof" }],
    [{ NODE_ENV: "development" }, { mode: "memory" }],
    [{ NODE_ENV: "test" }, { mode: "memory" }],
    [{ NODE_ENV: "production", INTAKE_DURABILITY: "memory" }, { mode: "memory" }],
    [{ INTAKE_DURABILITY: "replicas:2" }, { mode: "replicas", replicas: 2, timeoutMs: 1000 }],
    [
      { INTAKE_DURABILITY: "replicas:1", INTAKE_REPLICA_TIMEOUT_MS: "250" },
      { mode: "replicas", replicas: 1, timeoutMs: 250 },
    ],
  ])("intake durability from %j: production defaults to a durable mode", (env, durability) => {
    expect(intakeDurability(loadConfig({ ...valid, ...env }))).toEqual(durability);
  });

  it.each([
    ["INTAKE_DURABILITY", "replicas:0", "INTAKE_DURABILITY: memory, aof or replicas:N"],
    ["INTAKE_DURABILITY", "fsync", "INTAKE_DURABILITY: memory, aof or replicas:N"],
    ["INTAKE_REPLICA_TIMEOUT_MS", "5000", "INTAKE_REPLICA_TIMEOUT_MS"],
    ["REDIS_DECLARED_SETTINGS", "maxmemory-policy=sometimes", "REDIS_DECLARED_SETTINGS"],
  ])("names the bad %s", (name, value, message) => {
    expect(problemsOf({ ...valid, [name]: value }).join("\n")).toContain(message);
  });

  it("reads the Redis settings an operator declares for servers that hide them", () => {
    expect(declaredRedisSettings(loadConfig(valid))).toBeUndefined();
    const config = loadConfig({ ...valid, REDIS_DECLARED_SETTINGS: "maxmemory-policy=noeviction,appendonly=yes" });
    expect(declaredRedisSettings(config)).toEqual({ maxmemoryPolicy: "noeviction", appendonly: true });
  });
});
