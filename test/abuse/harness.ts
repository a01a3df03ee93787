/**
 * The webhook as production builds it (loadConfig → createRuntime → startWebhook), in this process, against the
 * shared Redis under a prefix of its own and a private Azurite: what the abuse and hardening tests attack. It
 * takes configuration only (no app internals), so the same tests run against any version of the app.
 */
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import type { Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inject } from "vitest";
import { deleteKeysMatching, keysMatching, startAzurite } from "../../scripts/local-stack/services.js";
import { buildManifest } from "../../src/archive/manifest.js";
import { sha256Hex } from "../../src/auth/tokens.js";
import { loadConfig, type Config } from "../../src/config/index.js";
import { createLogger } from "../../src/log.js";
import { createRecordingIndex } from "../../src/retrieval/index-store.js";
import { archivedManifest, summarize, type IndexedRecording } from "../../src/retrieval/summary.js";
import { createRuntime, type Runtime } from "../../src/runtime.js";
import { startWebhook } from "../../src/webhook.js";
import { startLocalIssuer, type LocalIssuer } from "../support/local-issuer.js";

export const TOKENS = {
  desk: "desk-reviewer-token",
  legal: "legal-reviewer-token",
  auditor: "auditor-token",
  admin: "admin-token",
} as const;

export interface Harness {
  url: string;
  /** The internal operations port's URL (OPS_PORT is set by the harness), when the app has one. */
  opsUrl: string | undefined;
  config: Config;
  runtime: Runtime;
  prefix: string;
  eventGridSecret: string;
  /** Signs ACS callback tokens the app accepts. */
  issuer: LocalIssuer;
  /** A recording archived in Blob (manifest, chunks, metadata documents) and indexed, as the ingest leaves it. */
  seedRecording(
    team: string,
    options?: { participant?: string; startedAt?: string; chunkBytes?: number },
  ): Promise<IndexedRecording>;
  /** Audit entries in the Redis stream, and in Blob for today. */
  auditCounts(): Promise<{ stream: number; blob: number }>;
  /** Memory Redis uses for this harness's keys (MEMORY USAGE of each key under its prefix). */
  redisBytes(): Promise<number>;
  /** Jobs in every queue, by state (what was queued). */
  jobCounts(): Promise<number>;
  fetch(path: string, init?: RequestInit & { token?: string }): Promise<Response>;
  stop(): Promise<void>;
}

export async function startHarness(env: Record<string, string> = {}): Promise<Harness> {
  const stops: (() => Promise<unknown>)[] = [];
  const stop = async () => {
    for (const step of stops.reverse()) await step().catch(() => undefined);
  };
  try {
    const dir = await mkdtemp(join(tmpdir(), "abuse-"));
    stops.push(() => rm(dir, { recursive: true, force: true }));
    const azurite = await startAzurite(join(dir, "azurite"));
    stops.push(() => azurite.stop());
    const resourceId = randomUUID();
    const issuer = await startLocalIssuer("https://acscallautomation.communication.azure.com");
    stops.push(() => issuer.stop());
    await writeFile(
      join(dir, "tokens.yaml"),
      `tokens:
  - { name: desk-reviewer, role: team, team: trading-desk, sha256: ${sha256Hex(TOKENS.desk)} }
  - { name: legal-reviewer, role: team, team: legal, sha256: ${sha256Hex(TOKENS.legal)} }
  - { name: auditor, role: auditor, sha256: ${sha256Hex(TOKENS.auditor)} }
  - { name: ops, role: admin, sha256: ${sha256Hex(TOKENS.admin)} }
`,
    );
    const prefix = `${inject("runId")}:abuse-${randomBytes(4).toString("hex")}`;
    const eventGridSecret = randomBytes(16).toString("hex");
    const config = loadConfig({
      NODE_ENV: "test",
      PORT: "0",
      OPS_PORT: "0",
      HOST: "127.0.0.1",
      PUBLIC_BASE_URL: "http://127.0.0.1:1",
      ACS_CONNECTION_STRING: `endpoint=https://abuse.communication.azure.com/;accesskey=${randomBytes(32).toString("base64")}`,
      ACS_RESOURCE_ID: resourceId,
      ACS_OPENID_CONFIGURATION_URL: issuer.openIdConfigurationUrl,
      REDIS_URL: inject("redisUrl"),
      REDIS_PREFIX: prefix,
      BLOB_CONNECTION_STRING: azurite.connectionString,
      POLICY_DIR: "policies",
      EVENTGRID_SECRET: eventGridSecret,
      API_TOKENS_FILE: join(dir, "tokens.yaml"),
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "silent",
      ...env,
    });
    const logger = createLogger(config.LOG_LEVEL, "abuse");
    const runtime = await createRuntime(config, logger);
    stops.push(async () => {
      await deleteKeysMatching(runtime.redis, `${prefix}:*`);
      await runtime.close();
    });
    await runtime.container.createIfNotExists();
    const webhook = await startWebhook(config, runtime, logger);
    stops.push(() => closeServer(webhook.server));
    const index = createRecordingIndex(runtime.redis, prefix);
    const auditContainer = runtime.blobService.getContainerClient(config.AUDIT_CONTAINER);
    let seeded = 0;

    return {
      url: webhook.url,
      opsUrl: (webhook as { ops?: { url: string } }).ops?.url,
      config,
      runtime,
      prefix,
      eventGridSecret,
      issuer,
      async seedRecording(team, options = {}) {
        const n = ++seeded;
        const serverCallId = `call-${randomUUID()}`;
        const recordingId = `rec-${n}-${randomUUID()}`;
        const folder = `${team}/2026/11/23/${serverCallId}/${recordingId}`;
        const participant = options.participant ?? "8:acs:abuse_00000001-alice";
        const chunks = [];
        for (const index of [0, 1]) {
          const content = randomBytes(options.chunkBytes ?? 2048);
          const document = {
            chunkDuration: 1000,
            pauseResumeIntervals: [],
            participants: [{ participantId: participant, channel: 0 }],
            recordingInfo: { contentType: "audio", channelType: "mixed", format: "wav" },
          };
          const metadataBytes = Buffer.from(JSON.stringify(document));
          const blob = `${folder}/chunk-000${index}.wav`;
          const metadataBlob = `${folder}/chunk-000${index}.acsmetadata.json`;
          await runtime.container.getBlockBlobClient(blob).upload(content, content.length);
          await runtime.container.getBlockBlobClient(metadataBlob).upload(metadataBytes, metadataBytes.length);
          chunks.push({
            index,
            documentId: `doc-${index}`,
            endReason: index === 1 ? "SessionEnded" : "ChunkMaximumTimeExceeded",
            content: { blob, sizeBytes: content.length, sha256: sha256(content), contentType: "audio/wav" },
            metadata: { blob: metadataBlob, sha256: sha256(metadataBytes), document },
          });
        }
        const manifest = buildManifest({
          serverCallId,
          correlationId: `corr-${n}`,
          recordingId,
          recordingStartTime: options.startedAt ?? new Date(Date.UTC(2026, 10, 23, 9, 0, n)).toISOString(),
          teamId: team,
          call: { caller: participant, participants: [participant] },
          policy: { ruleId: "record-all", mode: "required", policyHash: "p", legalHold: false },
          chunks,
          archivedAt: new Date().toISOString(),
        });
        const bytes = Buffer.from(JSON.stringify(manifest));
        const manifestBlob = `${folder}/manifest.json`;
        await runtime.container.getBlockBlobClient(manifestBlob).upload(bytes, bytes.length);
        const summary = summarize(archivedManifest.parse(manifest), manifestBlob, sha256(bytes));
        await index.put(summary);
        return summary;
      },
      async auditCounts() {
        const stream = await runtime.redis.xlen(`${prefix}:audit`);
        let blob = 0;
        const day = new Date().toISOString().slice(0, 10).replace(/-/g, "/");
        if (await auditContainer.exists())
          for await (const item of auditContainer.listBlobsFlat({ prefix: day })) {
            const text = (await auditContainer.getBlobClient(item.name).downloadToBuffer()).toString("utf8");
            blob += text.split("\n").filter((line) => line.length > 0).length;
          }
        return { stream, blob };
      },
      async redisBytes() {
        let total = 0;
        for (const key of await keysMatching(runtime.redis, `${prefix}:*`))
          total += (await runtime.redis.memory("USAGE", key)) ?? 0;
        return total;
      },
      async jobCounts() {
        let total = 0;
        for (const queue of runtime.queues.all()) {
          const counts = await queue.getJobCounts();
          total += Object.values(counts).reduce((sum, n) => sum + n, 0);
        }
        return total;
      },
      fetch(path, init = {}) {
        const { token, ...rest } = init;
        const headers = new Headers(rest.headers);
        if (token) headers.set("authorization", `Bearer ${token}`);
        return fetch(`${webhook.url}${path}`, { ...rest, headers });
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

const sha256 = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
}
