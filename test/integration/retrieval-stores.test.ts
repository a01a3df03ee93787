// The stores behind QA retrieval: the listing index (real Redis) and the Blob audit archive (private Azurite).
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BlobServiceClient, type AppendBlobClient, type ContainerClient } from "@azure/storage-blob";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { deleteKeysMatching, startAzurite, type RunningAzurite } from "../../scripts/local-stack/services.js";
import { auditBlobName, createBlobAuditArchive } from "../../src/audit/blob-archive.js";
import { createActionAuditLog, createAuditLog, createRedisAuditLog, type AuditEntry } from "../../src/audit/log.js";
import { createRecordingIndex, indexKeys } from "../../src/retrieval/index-store.js";
import type { Cursor } from "../../src/retrieval/query.js";
import type { IndexedRecording, RecordingFilters } from "../../src/retrieval/summary.js";

const prefix = `${inject("runId")}:retrieval-${randomBytes(4).toString("hex")}`;
let redis: Redis;
let dataDir: string;
let azurite: RunningAzurite;
let service: BlobServiceClient;

beforeAll(async () => {
  redis = new Redis(inject("redisUrl"));
  dataDir = await mkdtemp(join(tmpdir(), "retrieval-stores-"));
  azurite = await startAzurite(dataDir);
  service = BlobServiceClient.fromConnectionString(azurite.connectionString);
});
afterAll(async () => {
  await deleteKeysMatching(redis, `${prefix}:*`);
  redis.disconnect();
  await azurite?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

const recording = (n: number, startedAt: string, changes: Partial<IndexedRecording> = {}): IndexedRecording => ({
  recordingId: `rec-${String(n).padStart(3, "0")}`,
  serverCallId: `call-${n}`,
  team: "desk",
  startedAt,
  durationSeconds: n,
  participants: ["8:acs:x_1", "4:+447700900123"],
  outcome: "required",
  ruleId: "r",
  chunkCount: 1,
  totalBytes: 1,
  channelType: "mixed",
  format: "wav",
  manifestBlob: `desk/m-${n}.json`,
  manifestSha256: "s",
  ...changes,
});

async function everyPage(
  index: ReturnType<typeof createRecordingIndex>,
  filters: RecordingFilters,
  limit: number,
): Promise<{ ids: string[]; pages: number }> {
  const ids: string[] = [];
  let cursor: Cursor | null = null;
  let pages = 0;
  do {
    const page = await index.list(filters, limit, cursor ?? undefined);
    ids.push(...page.items.map((r) => r.recordingId));
    cursor = page.next;
    pages++;
  } while (cursor);
  return { ids, pages };
}

describe("recording index", () => {
  it("pages newest first through equal start times, each recording once, with one key per command", async () => {
    const index = createRecordingIndex(redis, `${prefix}:a`);
    const same = "2026-11-23T09:00:00.000Z";
    for (let n = 1; n <= 7; n++) await index.put(recording(n, n <= 5 ? same : `2026-11-23T09:${n - 5}0:00.000Z`));
    await index.put(recording(8, "2026-11-23T10:00:00.000Z", { team: "legal" }));
    const all = await everyPage(index, {}, 2);
    // Newest first; equal times by descending id.
    expect(all.ids).toEqual(["rec-008", "rec-007", "rec-006", "rec-005", "rec-004", "rec-003", "rec-002", "rec-001"]);
    expect((await everyPage(index, { team: "desk" }, 3)).ids).toEqual(all.ids.filter((id) => id !== "rec-008"));
    expect((await everyPage(index, { participant: "+447700900123", team: "legal" }, 10)).ids).toEqual(["rec-008"]);
    expect((await everyPage(index, { serverCallId: "call-3" }, 10)).ids).toEqual(["rec-003"]);
    expect(
      (
        await everyPage(
          index,
          { from: new Date("2026-11-23T09:05:00Z"), to: new Date("2026-11-23T09:30:00Z"), team: "desk" },
          10,
        )
      ).ids,
    ).toEqual(["rec-007", "rec-006"]);
    // Keys are hash-tagged: one slot per recording, team, call and participant.
    const keys = indexKeys(`${prefix}:a`);
    expect(await redis.exists(keys.recording("rec-001"), keys.team("desk"), keys.participant("4:+447700900123"))).toBe(
      3,
    );
    expect(keys.participant("4:+447700900123")).toBe(`${prefix}:a:rec:participant:{+447700900123}`);
  });

  it("bounds the candidates one request scans, answering with a cursor to go on", async () => {
    const index = createRecordingIndex(redis, `${prefix}:b`, { scanBudget: 3 });
    for (let n = 1; n <= 10; n++)
      await index.put(
        recording(n, `2026-11-23T09:00:${String(n).padStart(2, "0")}.000Z`, n === 1 ? {} : { outcome: "best-effort" }),
      );
    const first = await index.list({ outcome: "required" }, 5);
    expect(first.items).toEqual([]); // three looked at, none matched
    expect(first.next).not.toBeNull();
    expect(first.scanned).toBe(3);
    const { ids, pages } = await everyPage(index, { outcome: "required" }, 5);
    expect(ids).toEqual(["rec-001"]);
    expect(pages).toBe(4);
  });
});

/** A container whose first audit part holds only `capacity` appends (as if it had reached Azure's 50 000 blocks). */
function withFullFirstPart(container: ContainerClient, capacity: number): ContainerClient {
  let appended = 0;
  const bound = <T extends object>(target: T, property: string | symbol) => {
    const value: unknown = Reflect.get(target, property);
    return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(target) : value;
  };
  return new Proxy(container, {
    get(target, property) {
      if (property !== "getAppendBlobClient") return bound(target, property);
      return (name: string) => {
        const client = target.getAppendBlobClient(name);
        if (!name.endsWith("part-0000.jsonl")) return client;
        return new Proxy(client, {
          get(blob, p) {
            if (p !== "appendBlock") return bound(blob, p);
            return async (...args: Parameters<AppendBlobClient["appendBlock"]>) => {
              if (appended >= capacity)
                throw Object.assign(new Error("The committed block count cannot exceed the maximum limit"), {
                  statusCode: 409,
                  code: "BlockCountExceedsLimit",
                });
              const result = await blob.appendBlock(...args);
              appended++;
              return result;
            };
          },
        });
      };
    },
  });
}

describe("audit archive in Blob", () => {
  const entry = (n: number, at: string): AuditEntry => ({
    id: `e-${n}`,
    at,
    actor: n % 2 ? "desk-reviewer" : "auditor",
    role: n % 2 ? "team" : "auditor",
    action: "recordings:get",
    recordingId: `rec-${n}`,
    outcome: "accepted",
    from: "127.0.0.1",
  });

  it("group-commits concurrent entries into few append blocks, one append blob series per day", async () => {
    const container = service.getContainerClient("audit-group");
    const archive = createBlobAuditArchive(container);
    const at = "2026-11-23T10:00:00.000Z";
    await Promise.all(Array.from({ length: 60 }, (_, n) => archive.append(entry(n, at))));
    await archive.append(entry(60, "2026-11-24T00:00:01.000Z"));
    const properties = await container.getBlobClient(auditBlobName("2026-11-23", 0)).getProperties();
    expect(properties.blobType).toBe("AppendBlob");
    expect(properties.blobCommittedBlockCount).toBeLessThan(60);
    const day = await archive.read("2026-11-23", { limit: 1000 });
    expect(day.items.map((e) => e.id)).toEqual(Array.from({ length: 60 }, (_, n) => `e-${n}`));
    expect(day.nextCursor).toBeNull();
    expect((await archive.read("2026-11-24", { limit: 10 })).items.map((e) => e.id)).toEqual(["e-60"]);
    expect((await archive.read("2026-11-25", { limit: 10 })).items).toEqual([]);
  });

  it("continues a full part in the next one (every replica finds it), and reads them in order by cursor", async () => {
    const container = service.getContainerClient("audit-rollover");
    const at = "2026-11-23T11:00:00.000Z";
    const first = createBlobAuditArchive(withFullFirstPart(container, 3));
    for (let n = 0; n < 5; n++) await first.append(entry(n, at));
    // A second replica starts at part 0 too, finds it full, and moves on.
    const second = createBlobAuditArchive(withFullFirstPart(container, 0));
    await second.append(entry(5, at));
    const names: string[] = [];
    for await (const blob of container.listBlobsFlat()) names.push(blob.name);
    expect(names.sort()).toEqual([auditBlobName("2026-11-23", 0), auditBlobName("2026-11-23", 1)]);

    const ids: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await first.read("2026-11-23", { limit: 2, cursor });
      ids.push(...page.items.map((e) => e.id ?? "no id"));
      cursor = page.nextCursor ?? undefined;
      pages++;
    } while (cursor);
    expect(ids).toEqual(["e-0", "e-1", "e-2", "e-3", "e-4", "e-5"]);
    expect(pages).toBe(3);
    const auditors = await first.read("2026-11-23", { limit: 10, filter: (e) => e.actor === "auditor" });
    expect(auditors.items.map((e) => e.id)).toEqual(["e-0", "e-2", "e-4"]);
  });

  it("reads a page in a window the size of the page, growing it for an entry longer than that", async () => {
    const archive = createBlobAuditArchive(service.getContainerClient("audit-windows"));
    const at = "2026-11-26T10:00:00.000Z";
    // Written before entries were bounded: one entry of 200 KB between small ones.
    await archive.append(entry(0, at));
    await archive.append({ ...entry(1, at), detail: { body: "z".repeat(200 * 1024) } });
    await archive.append(entry(2, at));
    const ids: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await archive.read("2026-11-26", { limit: 1, cursor });
      ids.push(...page.items.map((e) => e.id ?? "no id"));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(ids).toEqual(["e-0", "e-1", "e-2"]);
  });

  it("fails the append (so the read it guards is refused) when storage refuses it", async () => {
    const archive = createBlobAuditArchive(
      new BlobServiceClient(`http://127.0.0.1:${azurite.port}/nosuchaccount`).getContainerClient("audit"),
    );
    await expect(archive.append(entry(1, new Date().toISOString()))).rejects.toThrow();
  });

  it("a read is not served without its Blob entry; a PCI action goes ahead with the entry in Redis, alerted", async () => {
    const refusing = {
      append: async () => {
        throw new Error("storage unavailable");
      },
      read: async () => ({ items: [], nextCursor: null }),
    };
    const at = new Date().toISOString();
    await expect(createAuditLog(redis, `${prefix}:audit-a`, refusing).append(entry(1, at))).rejects.toThrow(
      "storage unavailable",
    );
    const alerts: string[] = [];
    const actions = createActionAuditLog(redis, `${prefix}:audit-b`, refusing, (e) => alerts.push(e.id ?? ""));
    await actions.append({ ...entry(2, at), id: undefined, action: "recording:pause" });
    const kept = await createRedisAuditLog(redis, `${prefix}:audit-b`).recent(10);
    expect(kept).toHaveLength(1);
    expect(kept[0]).toMatchObject({ action: "recording:pause", id: expect.any(String) });
    expect(alerts).toEqual([kept[0]!.id]);
  });

  it("caps the Redis stream (XADD MAXLEN ~) while Blob keeps every entry; long fields are cut in both", async () => {
    const container = service.getContainerClient("audit-capped");
    const archive = createBlobAuditArchive(container);
    const streamPrefix = `${prefix}:audit-capped`;
    const log = createAuditLog(redis, streamPrefix, archive, { streamMaxLen: 100 });
    const at = "2026-11-25T10:00:00.000Z";
    const long = "x".repeat(8 * 1024);
    await Promise.all(
      Array.from({ length: 600 }, (_, n) =>
        log.append({ ...entry(n, at), recordingId: long, detail: { query: { q: long } } }),
      ),
    );
    // Approximate trimming removes whole stream nodes (100 entries each by default): at most one node over.
    const length = await redis.xlen(`${streamPrefix}:audit`);
    expect(length).toBeGreaterThanOrEqual(100);
    expect(length).toBeLessThanOrEqual(200);
    expect(await redis.memory("USAGE", `${streamPrefix}:audit`)).toBeLessThan(1024 * 1024);
    const day = await archive.read("2026-11-25", { limit: 1000 });
    expect(day.items.map((e) => e.id).sort()).toEqual(Array.from({ length: 600 }, (_, n) => `e-${n}`).sort());
    const [first] = day.items;
    expect(first!.recordingId!.length).toBeLessThanOrEqual(600);
    expect(first!.recordingId).toMatch(/^x+… \(8192 characters\)$/);
    expect(JSON.stringify(first!.detail).length).toBeLessThanOrEqual(2100);
    const [recent] = await createRedisAuditLog(redis, streamPrefix).recent(1);
    expect(recent!.recordingId).toBe(first!.recordingId);
  });
});
