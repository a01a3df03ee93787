import type { CustomerStorageOptions } from "./customer-storage.js";
import type { DiagnosticLogsOptions } from "./diagnostic-logs.js";
import { z } from "zod";
import type { SimulatorOptions, SimulatorTimings } from "./types.js";

export const ISSUER = "https://acscallautomation.communication.azure.com";
export const DEFAULT_STORAGE_HOST = "us-storage.asm.skype.com";
/** "Chunk duration has a maximum of 4 hours" (Call Recording overview, recording metadata schema). */
export const DEFAULT_CHUNK_MAX_MS = 4 * 60 * 60 * 1000;

export const DEFAULT_TIMINGS: SimulatorTimings = {
  ringMs: 200,
  connectMs: 50,
  recordingActivationMs: 300,
  fileStatusDelayMs: 500,
  deliveryRetryMs: [500, 2000, 5000],
};

export interface ResolvedOptions {
  port: number;
  host: string;
  /** The decoded HMAC key. */
  key: Buffer;
  accessKey: string;
  resourceId: string;
  storageHost: string;
  eventGridUrl: string | undefined;
  timings: SimulatorTimings;
  participantsPageSize: number;
  deliveryConcurrency: number;
  chunkMaxDurationMs: number;
  chunkMaxBytes: number | undefined;
  diagnosticLogs: DiagnosticLogsOptions | undefined;
  customerStorage: CustomerStorageOptions | undefined;
  log: (line: Record<string, unknown>) => void;
}

const ms = z.number().int().min(0);

const optionsSchema = z.object({
  port: z.number().int().min(0).max(65535).optional(),
  host: z.string().min(1).optional(),
  accessKey: z.base64().min(1),
  resourceId: z.string().min(1),
  storageHost: z
    .string()
    .regex(/^[a-z0-9.-]+\.asm\.skype\.com$/i, "must be a host name ending with .asm.skype.com")
    .optional(),
  eventGridUrl: z.url({ protocol: /^https?$/ }).optional(),
  timings: z
    .object({
      ringMs: ms,
      connectMs: ms,
      recordingActivationMs: ms,
      fileStatusDelayMs: ms,
      deliveryRetryMs: z.array(ms),
    })
    .partial()
    .optional(),
  participantsPageSize: z.number().int().min(1).optional(),
  deliveryConcurrency: z.number().int().min(1).max(1000).optional(),
  chunkMaxDurationMs: z.number().int().min(1).optional(),
  chunkMaxBytes: z.number().int().min(1024).optional(),
  diagnosticLogs: z
    .object({
      connectionString: z.string().min(1),
      armResourceId: z
        .string()
        .regex(
          /^\/?subscriptions\/[^/]+\/resourcegroups\/[^/]+\/providers\/microsoft\.communication\/communicationservices\/[^/]+$/i,
          "must be /subscriptions/…/providers/Microsoft.Communication/communicationServices/<name>",
        ),
      delayMs: ms.optional(),
    })
    .optional(),
  customerStorage: z
    .object({ connectionString: z.string().min(1), grantedContainers: z.array(z.url()).optional() })
    .optional(),
});

/** Validates the options once so the rest of the simulator can trust them. */
export function resolveOptions(opts: SimulatorOptions): ResolvedOptions {
  const parsed = optionsSchema.safeParse(opts);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue ? issue.path.join(".") : "options";
    throw new Error(`Invalid simulator option ${field}: ${issue?.message ?? "invalid"}`);
  }
  const o = parsed.data;
  return {
    port: o.port ?? 0,
    host: o.host ?? "127.0.0.1",
    key: Buffer.from(o.accessKey, "base64"),
    accessKey: o.accessKey,
    resourceId: o.resourceId,
    storageHost: o.storageHost ?? DEFAULT_STORAGE_HOST,
    eventGridUrl: o.eventGridUrl,
    timings: { ...DEFAULT_TIMINGS, ...stripUndefined(o.timings ?? {}) },
    participantsPageSize: o.participantsPageSize ?? 100,
    deliveryConcurrency: o.deliveryConcurrency ?? 1,
    chunkMaxDurationMs: o.chunkMaxDurationMs ?? DEFAULT_CHUNK_MAX_MS,
    chunkMaxBytes: o.chunkMaxBytes,
    diagnosticLogs: o.diagnosticLogs,
    customerStorage: o.customerStorage,
    log: opts.log ?? (() => {}),
  };
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
