import { randomBytes } from "node:crypto";
import { z } from "zod";
import {
  EVENT_GRID_APP_ID,
  EVENT_GRID_WEBHOOK_ROLE,
  type EntraDeliverySettings,
  DURABILITY_SYNTAX,
  parseDurability,
  type IntakeDurability,
} from "../intake/index.js";
import { parseDeclaredSettings, type DeclaredSettings, parseRedisUrl, RedisUrlError } from "../redis/index.js";
import { parseWorkerRoles } from "../queues/index.js";

/** Where Azure's callback JWT keys are published (docs/acs-payloads.md "Authentication"). */
export const ACS_OPENID_CONFIGURATION_URL =
  "https://acscallautomation.communication.azure.com/calling/.well-known/acsopenidconfiguration";

/** Hosts the SDK itself accepts for recording URLs (docs/acs-payloads.md "Recording files"); anything else is refused. */
export const ACS_RECORDING_HOST_SUFFIXES = [
  ".asm.skype.com",
  ".asyncgw.teams.microsoft.com",
  ".ams.gov.teams.microsoft.us",
];

const commaList = z
  .string()
  .transform((value) =>
    value
      .split(",")
      .map((item) => item.trim())
      .filter((item) => item.length > 0),
  )
  .pipe(z.array(z.string()).min(1));

const containerName = z
  .string()
  .regex(/^[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){2,62}$/, "3-63 lower-case letters, digits and single dashes");

function checkRedisUrl(url: string, context: z.RefinementCtx): void {
  try {
    parseRedisUrl(url);
  } catch (error) {
    if (!(error instanceof RedisUrlError)) throw error;
    context.addIssue({ code: "custom", message: error.message });
  }
}

/** The environment of the webhook and worker; docs/configuration.md is checked against it (src/config/docs.test.ts). */
export const configSchema = z.object({
  NODE_ENV: z.enum(["development", "test", "production"]).default("development"),
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  HOST: z.string().default("127.0.0.1"),
  PUBLIC_BASE_URL: z.url({ protocol: /^https?$/ }),
  /** Access key authentication to ACS; or ACS_ENDPOINT for Microsoft Entra ID (docs/identity.md). */
  ACS_CONNECTION_STRING: z
    .string()
    .regex(/endpoint=.+;accesskey=.+/i, "must look like endpoint=https://…;accesskey=…")
    .optional(),
  /** The ACS resource's endpoint, authenticated with DefaultAzureCredential (managed identity) instead of a key. */
  ACS_ENDPOINT: z.url({ protocol: /^https$/, error: "must be https://<resource>.communication.azure.com" }).optional(),
  ACS_RESOURCE_ID: z.string().min(1),
  ACS_OPENID_CONFIGURATION_URL: z.url().default(ACS_OPENID_CONFIGURATION_URL),
  ACS_LOCAL_SIMULATOR_URL: z.url({ protocol: /^http$/ }).optional(),
  RECORDING_HOST_SUFFIXES: commaList.default(ACS_RECORDING_HOST_SUFFIXES),
  /** One server, a Cluster or Sentinels (src/redis/target.ts); checked here so a bad one stops the start. */
  REDIS_URL: z.string().superRefine(checkRedisUrl),
  REDIS_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9:_-]+$/, "letters, digits, ':', '_' and '-' only")
    .default("cr"),
  /** Account key (or SAS) authentication to Blob storage; or BLOB_ACCOUNT_URL for Microsoft Entra ID. */
  BLOB_CONNECTION_STRING: z.string().min(1).optional(),
  /** The storage account's Blob endpoint, authenticated with DefaultAzureCredential instead of a key. */
  BLOB_ACCOUNT_URL: z.url({ protocol: /^https$/, error: "must be https://<account>.blob.core.windows.net" }).optional(),
  /** Local only (Azurite over plain HTTP): SAS URLs the app mints may also be used over http. Refused in production. */
  BLOB_SAS_ALLOW_HTTP: z
    .enum(["true", "false"])
    .default("false")
    .transform((value) => value === "true"),
  BLOB_CONTAINER: containerName.default("recordings"),
  POLICY_DIR: z.string().default("policies"),
  EVENTGRID_SECRET: commaList.optional(),
  /** Optional Microsoft Entra authentication of Event Grid deliveries (docs/acs-payloads.md "Event Grid delivery"). */
  EVENTGRID_ENTRA_TENANT_ID: z.string().min(1).optional(),
  EVENTGRID_ENTRA_AUDIENCE: z.string().min(1).optional(),
  EVENTGRID_ENTRA_ISSUER: z.string().min(1).optional(),
  EVENTGRID_ENTRA_JWKS_URL: z.url().optional(),
  /** Client apps allowed to deliver with Entra tokens (`appid`/`azp`): Event Grid's own (docs/security.md). */
  EVENTGRID_ENTRA_ALLOWED_APP_IDS: commaList.default([EVENT_GRID_APP_ID.public]),
  /** The app role Event Grid's service principal holds in the webhook's app registration. */
  EVENTGRID_ENTRA_REQUIRED_ROLE: z.string().min(1).default(EVENT_GRID_WEBHOOK_ROLE),
  MAX_BODY_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(1024 * 1024),
  /** After a call ends, how long its recording may take to arrive (RecordingFileStatusUpdated) before an alert. */
  RECORDING_EXPECTED_WITHIN_SECONDS: z.coerce.number().int().min(1).default(900),
  /** How often the ledger's gaps are swept for alerts. */
  GAP_SWEEP_SECONDS: z.coerce.number().int().min(5).default(300),
  /** YAML file of API tokens (hashed) for the pause/resume and retrieval APIs; unset: no token is accepted. */
  API_TOKENS_FILE: z.string().min(1).optional(),
  /** HMAC key of playback stream tickets: the same on every webhook replica; required in production. */
  PLAYBACK_TICKET_SECRET: z.string().min(32, "at least 32 characters").optional(),
  /** Lifetime of a stream ticket (and of a SAS URL when PLAYBACK_SAS is on). */
  PLAYBACK_TICKET_SECONDS: z.coerce.number().int().min(10).max(3600).default(300),
  /** Play also returns a read-only SAS URL of the chunk's blob (reads through it are audited only at issue). */
  PLAYBACK_SAS: z
    .enum(["true", "false"])
    .default("false")
    .transform((value) => value === "true"),
  /** Blob container of the append-only audit log. */
  AUDIT_CONTAINER: containerName.default("audit"),
  /** Entries the Redis audit stream keeps (recent ones; Blob keeps the complete log). */
  AUDIT_STREAM_MAXLEN: z.coerce.number().int().min(100).default(10_000),
  /**
   * Key material of listing cursors and admin board sessions (docs/security.md): the same on every webhook
   * replica; required in production.
   */
  SERVER_SECRET: z.string().min(32, "at least 32 characters").optional(),
  /** Proxies in front of the webhook whose X-Forwarded-For is believed (0: the socket's address is the client). */
  TRUST_PROXY: z.coerce.number().int().min(0).max(10).default(0),
  /** API and admin requests per minute from one client address (0: no limit); intake is not limited. */
  RATE_LIMIT_PER_ADDRESS: z.coerce.number().int().min(0).default(600),
  /** API and admin requests per minute with one API token (0: no limit). */
  RATE_LIMIT_PER_TOKEN: z.coerce.number().int().min(0).default(1200),
  /** Recording verifications (each re-reads every byte of a recording) at once per webhook process; more: 429. */
  VERIFY_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(2),
  /** Internal port with the detailed /readyz and /metrics, unauthenticated (unset: none; the public port keeps minimal ones). */
  OPS_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  /** What the queue board (/admin/queues) may do: read-only (default) or operate (retry, promote, pause, resume). */
  ADMIN_BOARD_MODE: z.enum(["read-only", "operate"]).default("read-only"),
  /** Lifetime of an admin board session (the cookie a login with an admin token sets). */
  ADMIN_SESSION_SECONDS: z.coerce.number().int().min(60).max(86_400).default(3600),
  /**
   * PEM file of the Ed25519 private key that signs chain checkpoints and manifests (docs/evidence.md); required
   * in production. Unset elsewhere: a development key shared by the machine's processes, with a loud warning.
   */
  EVIDENCE_SIGNING_KEY_FILE: z.string().min(1).optional(),
  /** PEM public key(s) the webhook checks manifest signatures with (current first, then earlier ones still trusted). */
  EVIDENCE_PUBLIC_KEY_FILE: z.string().min(1).optional(),
  /** How often the ledger and audit chains get a signed checkpoint (the scheduled job; also at every export). */
  EVIDENCE_CHECKPOINT_SECONDS: z.coerce.number().int().min(60).max(86_400).default(3600),
  /** How long a checkpoint blob stays immutable (retain-until from when it is written). */
  EVIDENCE_RETENTION_DAYS: z.coerce.number().int().min(1).default(2557),
  /** Where ACS's own call logs are read for reconciliation (docs/reconciliation.md "Sources"). */
  RECONCILE_SOURCE: z.enum(["storage", "log-analytics"]).default("storage"),
  /** The Log Analytics workspace (its Workspace ID, a GUID) queried when RECONCILE_SOURCE=log-analytics. */
  RECONCILE_WORKSPACE_ID: z.uuid().optional(),
  /** The storage account diagnostic settings archive ACS's logs to; unset: the archive's own (BLOB_*). */
  RECONCILE_STORAGE_CONNECTION_STRING: z.string().min(1).optional(),
  /** The ACS resource's ARM id, to read only its blobs (listed by prefix); unset: every resource's in the account. */
  RECONCILE_STORAGE_RESOURCE_ID: z
    .string()
    .regex(
      /^\/?subscriptions\/[^/]+\/resourcegroups\/[^/]+\/providers\/microsoft\.communication\/communicationservices\/[^/]+$/i,
      {
        error:
          "must be /subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.Communication/communicationServices/<name>",
      },
    )
    .optional(),
  /** How much shorter than ACS's RecordingLength an archived recording may be before it is incomplete. */
  RECONCILE_DURATION_TOLERANCE_SECONDS: z.coerce.number().min(0).default(2),
  /**
   * How often the scheduled reconciliation runs (docs/reconciliation.md "The scheduled job"), over the
   * RECONCILE_WINDOW_HOURS before RECONCILE_LOG_DELAY_MINUTES ago; 0: not scheduled.
   */
  RECONCILE_EVERY_SECONDS: z.coerce
    .number()
    .int()
    .refine((value) => value === 0 || value >= 60, "0 (off) or at least 60")
    .default(0),
  RECONCILE_WINDOW_HOURS: z.coerce
    .number()
    .int()
    .min(1)
    .max(24 * 31)
    .default(24),
  /** How long after a window ACS's records are still read (they are published after the call). */
  RECONCILE_LOG_DELAY_MINUTES: z.coerce.number().int().min(0).max(1440).default(60),
  /** How often the review queue is filled from newly archived recordings (docs/reviews.md "The queue"); 0: never. */
  REVIEW_QUEUE_EVERY_SECONDS: z.coerce
    .number()
    .int()
    .refine((value) => value === 0 || value >= 10, "0 (off) or at least 10")
    .default(300),
  /** How far back (by start time) the queue filling looks for recordings it has not considered yet. */
  REVIEW_QUEUE_LOOKBACK_DAYS: z.coerce.number().int().min(1).max(62).default(8),
  /** Blob container evidence exports are written to. */
  EXPORT_CONTAINER: containerName.default("exports"),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  WORKER_CONCURRENCY: z.coerce.number().int().positive().default(4),
  /**
   * What a worker process runs (docs/operations.md "Worker roles"): `all`, or `control`, `ingest`, `retrieval`,
   * `operations`, or several of them separated by commas. Given as the list of roles.
   */
  WORKER_ROLE: z
    .string()
    .default("all")
    .transform((text, context) => {
      const roles = parseWorkerRoles(text);
      if (!roles)
        context.addIssue({
          code: "custom",
          message: "all, or control, ingest, retrieval, operations (comma-separated)",
        });
      return roles ?? [];
    }),
  /**
   * The worker process's CPU niceness (0–19, set by the process itself at start: higher yields the CPU to the
   * others on the machine). Default: 10 for a worker without the control role (ingest, retrieval, operations), so that on a
   * shared machine it never delays the path to a recording; 0 otherwise. In Kubernetes, CPU requests and limits
   * do this between pods (deploy/k8s).
   */
  WORKER_NICE: z.coerce.number().int().min(0).max(19).optional(),
  /** The worker process's probe and metrics port (/healthz, /readyz, /metrics); unset: no server. */
  WORKER_HTTP_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  /** Size of the blocks a recording chunk is staged in (also the unit of resumption). */
  INGEST_BLOCK_BYTES: z.coerce
    .number()
    .int()
    .min(64 * 1024)
    .max(100 * 1024 * 1024)
    .default(4 * 1024 * 1024),
  /**
   * Block buffers of one chunk at once, being filled or staged (up to this many stageBlock requests in flight;
   * reading waits while all are): worker memory per chunk ≈ this × INGEST_BLOCK_BYTES. 3 keeps a block being
   * filled while two are staged: with 2 the bench's ingest ran at 0.65–0.88 of the raw copy, with 3 mostly at
   * 0.92–1.07, worker peak RSS 175–191 MB (docs/performance.md "Ingest").
   */
  INGEST_BLOCK_CONCURRENCY: z.coerce.number().int().min(1).max(32).default(3),
  /** Retention and legal hold on archived blobs: "azure" (version-level immutability) or "off"; default azure in production. */
  ARCHIVE_IMMUTABILITY: z.enum(["azure", "off"]).optional(),
  /** Delete the ACS copy of a chunk (deleteLocation) once the archived copy is verified. */
  ACS_DELETE_AFTER_ARCHIVE: z
    .enum(["true", "false"])
    .default("false")
    .transform((value) => value === "true"),
  /** An alert fires for a chunk not archived this long before ACS deletes it (default 2 h). */
  INGEST_AT_RISK_MARGIN_MS: z.coerce
    .number()
    .int()
    .min(0)
    .default(2 * 3_600_000),
  /** How often waiting ingest jobs are moved to the priority band of the time their chunk has left (bands are hours). */
  INGEST_PRIORITY_SWEEP_SECONDS: z.coerce.number().int().min(5).max(3600).default(300),
  /** How often Blob storage is probed for the health view (a failing probe marks storage down for 3 intervals). */
  HEALTH_PROBE_SECONDS: z.coerce.number().int().min(1).max(3600).default(10),
  /** Failures in a row (jobs failing on ACS or Blob) after which that dependency counts as unhealthy. */
  HEALTH_FAILURES_TO_TRIP: z.coerce.number().int().min(1).default(3),
  /** Failures further apart than this do not count as "in a row". */
  HEALTH_FAILURE_WINDOW_SECONDS: z.coerce.number().int().min(1).default(60),
  /** How long a worker's claim on a job lasts without renewal: after a crash, its job runs elsewhere this much later. */
  WORKER_LOCK_MS: z.coerce.number().int().min(1000).default(30_000),
  /** When intake answers 2xx: memory, aof or replicas:N (src/intake/durability.ts); default aof in production. */
  INTAKE_DURABILITY: z
    .string()
    .refine((text) => parseDurability(text, 0) !== undefined, DURABILITY_SYNTAX)
    .optional(),
  /**
   * Redis settings the servers do not report (managed services), declared by the operator: e.g.
   * `maxmemory-policy=noeviction,appendonly=yes` (docs/redis.md). A reported value always wins.
   */
  REDIS_DECLARED_SETTINGS: z
    .string()
    .superRefine((text, context) => {
      try {
        parseDeclaredSettings(text);
      } catch (error) {
        context.addIssue({ code: "custom", message: (error as Error).message });
      }
    })
    .optional(),
  /** With replicas:N, how long WAIT waits for the replicas (under the intake connection's 5 s command timeout). */
  INTAKE_REPLICA_TIMEOUT_MS: z.coerce.number().int().min(10).max(3000).default(1000),
});

export type Config = z.infer<typeof configSchema>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

/** Immutability is on in production unless explicitly turned off; off elsewhere (Azurite answers 501). */
export function immutabilityMode(config: Config): "azure" | "off" {
  return config.ARCHIVE_IMMUTABILITY ?? (config.NODE_ENV === "production" ? "azure" : "off");
}

/**
 * When intake acknowledges a delivery (docs/redis.md): as configured, else `aof` in production (a restart of
 * Redis must not lose what was acknowledged) and `memory` elsewhere.
 */
export function intakeDurability(config: Config): IntakeDurability {
  const text = config.INTAKE_DURABILITY ?? (config.NODE_ENV === "production" ? "aof" : "memory");
  return parseDurability(text, config.INTAKE_REPLICA_TIMEOUT_MS)!;
}

/** REDIS_DECLARED_SETTINGS, read (validated by loadConfig). */
export function declaredRedisSettings(config: Config): DeclaredSettings | undefined {
  return config.REDIS_DECLARED_SETTINGS === undefined
    ? undefined
    : parseDeclaredSettings(config.REDIS_DECLARED_SETTINGS);
}

/** Issuer, key set and allowed caller of Entra tokens for Event Grid deliveries, when configured. */
export function entraSettings(config: Config): EntraDeliverySettings | undefined {
  const audience = config.EVENTGRID_ENTRA_AUDIENCE;
  if (!audience) return undefined;
  const tenant = config.EVENTGRID_ENTRA_TENANT_ID;
  return {
    audience,
    allowedAppIds: config.EVENTGRID_ENTRA_ALLOWED_APP_IDS,
    requiredRole: config.EVENTGRID_ENTRA_REQUIRED_ROLE,
    issuer: config.EVENTGRID_ENTRA_ISSUER ?? `https://sts.windows.net/${tenant}/`,
    jwksUrl: config.EVENTGRID_ENTRA_JWKS_URL ?? `https://login.microsoftonline.com/${tenant}/discovery/v2.0/keys`,
  };
}

/**
 * The key stream tickets are signed with. Replicas must verify each other's tickets, so production needs it
 * configured; elsewhere a random key per process will do (tickets then die with the process).
 */
export function playbackTicketSecret(config: Config): string {
  if (config.PLAYBACK_TICKET_SECRET) return config.PLAYBACK_TICKET_SECRET;
  if (config.NODE_ENV === "production")
    throw new ConfigError([
      "PLAYBACK_TICKET_SECRET is required when NODE_ENV=production (32+ random characters, the same on every webhook replica)",
    ]);
  return randomBytes(32).toString("base64url");
}

/**
 * The key listing cursors and admin sessions are authenticated with. Replicas must accept each other's, so
 * production needs it configured; elsewhere a random key per process will do (cursors then die with it).
 */
export function serverSecret(config: Config): string {
  if (config.SERVER_SECRET) return config.SERVER_SECRET;
  if (config.NODE_ENV === "production")
    throw new ConfigError([
      "SERVER_SECRET is required when NODE_ENV=production (32+ random characters, the same on every webhook replica)",
    ]);
  return randomBytes(32).toString("base64url");
}

/** Reads and validates the environment once at start; every problem names its variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = configSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => {
        const name = issue.path.join(".");
        const value = env[name];
        return value === undefined || value === ""
          ? `${name} is required (${issue.message})`
          : `${name}: ${issue.message}`;
      }),
    );
  }
  const config = parsed.data;
  const entra = config.EVENTGRID_ENTRA_AUDIENCE !== undefined;
  if (!config.EVENTGRID_SECRET && !entra) {
    throw new ConfigError(["EVENTGRID_SECRET is required (or configure EVENTGRID_ENTRA_AUDIENCE for Entra tokens)"]);
  }
  if (
    entra &&
    !config.EVENTGRID_ENTRA_TENANT_ID &&
    !(config.EVENTGRID_ENTRA_ISSUER && config.EVENTGRID_ENTRA_JWKS_URL)
  ) {
    throw new ConfigError([
      "EVENTGRID_ENTRA_TENANT_ID is required with EVENTGRID_ENTRA_AUDIENCE (or set both EVENTGRID_ENTRA_ISSUER and EVENTGRID_ENTRA_JWKS_URL)",
    ]);
  }
  // The simulator routing rewrites recording hosts to plain HTTP: it must never exist in production.
  if (config.ACS_LOCAL_SIMULATOR_URL && config.NODE_ENV === "production") {
    throw new ConfigError(["ACS_LOCAL_SIMULATOR_URL must not be set when NODE_ENV=production"]);
  }
  if (config.RECONCILE_SOURCE === "log-analytics" && !config.RECONCILE_WORKSPACE_ID)
    throw new ConfigError(["RECONCILE_WORKSPACE_ID is required with RECONCILE_SOURCE=log-analytics"]);
  const problems = credentialProblems(config);
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

/**
 * Each Azure service is reached with exactly one kind of credential: a connection string (a key), or Microsoft
 * Entra ID through DefaultAzureCredential when only the endpoint is given (docs/identity.md).
 */
function credentialProblems(config: Config): string[] {
  const problems: string[] = [];
  const entra = "Microsoft Entra ID (managed identity) through DefaultAzureCredential, docs/identity.md";
  const one = (key: string, endpoint: string, keyValue: unknown, endpointValue: unknown) => {
    if (keyValue === undefined && endpointValue === undefined)
      problems.push(`${key} or ${endpoint} is required (${endpoint} alone: ${entra})`);
    if (keyValue !== undefined && endpointValue !== undefined)
      problems.push(`set ${key} or ${endpoint}, not both (${endpoint} alone: ${entra})`);
  };
  one("ACS_CONNECTION_STRING", "ACS_ENDPOINT", config.ACS_CONNECTION_STRING, config.ACS_ENDPOINT);
  one("BLOB_CONNECTION_STRING", "BLOB_ACCOUNT_URL", config.BLOB_CONNECTION_STRING, config.BLOB_ACCOUNT_URL);
  // The simulator checks HMAC signatures made with its key: it has no Entra tokens to check.
  if (config.ACS_LOCAL_SIMULATOR_URL && config.ACS_ENDPOINT)
    problems.push("ACS_LOCAL_SIMULATOR_URL needs ACS_CONNECTION_STRING (the simulator's key), not ACS_ENDPOINT");
  if (config.BLOB_SAS_ALLOW_HTTP && config.NODE_ENV === "production")
    problems.push("BLOB_SAS_ALLOW_HTTP must not be set when NODE_ENV=production (SAS URLs are https only)");
  return problems;
}
