// The ledger and audit hash chains in real Redis (single and Cluster), their signed checkpoints in Azurite, and
// `verify` catching tampering done to what is stored (docs/evidence.md).
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BlobServiceClient, type ContainerClient } from "@azure/storage-blob";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { deleteKeysMatching, startAzurite, type RunningAzurite } from "../../scripts/local-stack/services.js";
import { FakeRetention } from "../../src/archive/retention.js";
import { createBlobAuditArchive } from "../../src/audit/blob-archive.js";
import { createAuditLog, type AuditEntry } from "../../src/audit/log.js";
import { checkpointCommand, verifyCommand } from "../../src/cli/evidence-commands.js";
import { chainKey, chainLogs, createChainLog } from "../../src/evidence/chain-log.js";
import { checkpointBlobName } from "../../src/evidence/checkpoint.js";
import { checkpointChains, verifyEvidenceChain, writeCheckpoint } from "../../src/evidence/evidence-store.js";
import { generatePrivateKeyPem, signerFromPrivateKeyPem, verifierOf } from "../../src/evidence/keys.js";
import { createLedger } from "../../src/ledger/index.js";
import type { RedisClient } from "../../src/redis/index.js";
import { connectTarget, redisTargets } from "../support/redis-targets.js";

const signer = signerFromPrivateKeyPem(generatePrivateKeyPem());
const verifier = verifierOf(signer);
let dataDir: string;
let azurite: RunningAzurite;
let service: BlobServiceClient;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "evidence-chain-"));
  azurite = await startAzurite(dataDir);
  service = BlobServiceClient.fromConnectionString(azurite.connectionString);
});
afterAll(async () => {
  await azurite?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

async function archiveContainer(): Promise<ContainerClient> {
  const container = service.getContainerClient(`rec-${randomBytes(4).toString("hex")}`);
  await container.create();
  return container;
}

/** Rewrites a stream through `change` (what someone holding Redis's keys could do). */
async function rewriteStream(redis: RedisClient, key: string, change: (entries: string[][]) => string[][]) {
  const entries = ((await redis.xrange(key, "-", "+")) as [string, string[]][]).map(([, fields]) => fields);
  await redis.del(key);
  for (const fields of change(entries)) await redis.xadd(key, "*", ...fields);
}
const editEntry = (fields: string[], edit: (entry: Record<string, unknown>) => void) => {
  const at = fields.indexOf("entry") + 1;
  const entry = JSON.parse(fields[at]!) as Record<string, unknown>;
  edit(entry);
  const copy = [...fields];
  copy[at] = JSON.stringify(entry);
  return copy;
};

describe.each(redisTargets)("evidence chains on %s", (_label, target) => {
  const prefix = `${inject("runId")}:evidence-${randomBytes(4).toString("hex")}`;
  let redis: RedisClient;
  let other: RedisClient;

  beforeAll(() => {
    redis = connectTarget(target, { maxRetriesPerRequest: 3 });
    // A second connection stands for a second process appending to the same chain.
    other = connectTarget(target, { maxRetriesPerRequest: 3 });
  });
  afterAll(async () => {
    await deleteKeysMatching(redis, `${prefix}:*`);
    redis.disconnect();
    other.disconnect();
  });

  it("appends from two processes at once never fork the chain: seq 1…N, each linked to the one before", async () => {
    const key = `${prefix}:race:chain`;
    const a = createChainLog(redis, key);
    const b = createChainLog(other, key);
    await Promise.all(
      Array.from({ length: 120 }, (_, i) => (i % 2 === 0 ? a : b).append({ n: i, at: new Date().toISOString() })),
    );
    const container = await archiveContainer();
    const result = await verifyEvidenceChain({ container, verifier, log: a }, "ledger");
    expect(result).toMatchObject({ ok: true, entries: 120, notYetCovered: { from: 1, to: 120 } });
    expect(await a.head()).toMatchObject({ seq: 120 });
  });

  it("an entry holding a Date (an export's selection) verifies after it is read back: hashed as stored", async () => {
    const log = createChainLog(redis, `${prefix}:dates:chain`);
    await log.append({ action: "exports:create", detail: { from: new Date("2026-12-01T00:00:00Z"), to: undefined } });
    await log.append({ action: "exports:get" });
    const container = await archiveContainer();
    const stores = { container, retention: new FakeRetention(), signer, retentionDays: 1 };
    expect(await writeCheckpoint(stores, "audit", log)).toMatchObject({ written: true });
    expect(await verifyEvidenceChain({ container, verifier, log }, "audit", "redis")).toMatchObject({ ok: true });
  });

  it("ledger changes join the ledger chain; a checkpoint covers them; every kind of tampering is named", async () => {
    const ledgerPrefix = `${prefix}:l`;
    const ledger = createLedger(redis, ledgerPrefix);
    await ledger.record({ serverCallId: "c1", outcome: "pending", teamId: "t" });
    await ledger.noteAction("c1", {
      at: new Date().toISOString(),
      trigger: "deadline",
      action: "alert",
      reason: "late",
    });
    await ledger.record({ serverCallId: "c1", outcome: "recorded", recordingId: "r1", manifest: "t/m.json" });
    await ledger.record({ serverCallId: "c1", outcome: "pending" }); // refused: recorded is final, not chained
    await ledger.quarantine({ recordingId: "q1", reason: "no call" });
    await ledger.updateQuarantine("q1", { state: "archived", manifest: "_q/m.json" });
    const log = createChainLog(redis, chainKey(ledgerPrefix, "ledger"));
    const container = await archiveContainer();
    const retention = new FakeRetention();
    const stores = { container, retention, signer, retentionDays: 7 };
    const first = await writeCheckpoint(stores, "ledger", log);
    expect(first).toMatchObject({ written: true, blob: checkpointBlobName("ledger", 5), checkpoint: { seq: 5 } });
    expect(retention.protection(checkpointBlobName("ledger", 5))).toMatchObject({ legalHold: false });
    expect(await writeCheckpoint(stores, "ledger", log)).toMatchObject({ written: false, reason: "already covered" });
    await ledger.record({ serverCallId: "c2", outcome: "exempt", ruleId: "r" });

    const sources = { container, verifier, log };
    expect(await verifyEvidenceChain(sources, "ledger")).toMatchObject({
      ok: true,
      verifiedThrough: 5,
      notYetCovered: { from: 6, to: 6, count: 1 },
    });
    const original = ((await redis.xrange(log.key, "-", "+")) as [string, string[]][]).map(([, f]) => f);
    const restore = () => rewriteStream(redis, log.key, () => original);
    const cases: [string, (entries: string[][]) => string[][], { seq: number; message: RegExp }][] = [
      [
        "a field altered",
        (e) =>
          e.map((f, i) => (i === 1 ? editEntry(f, (x) => ((x.action as { reason: string }).reason = "edited")) : f)),
        { seq: 2, message: /seq 2 was altered/ },
      ],
      ["an entry removed", (e) => e.filter((_, i) => i !== 2), { seq: 3, message: /seq 3 is missing/ }],
      ["an entry inserted", (e) => [...e.slice(0, 2), e[0]!, ...e.slice(2)], { seq: 3, message: /appears again/ }],
      ["two entries swapped", (e) => [e[0]!, e[2]!, e[1]!, ...e.slice(3)], { seq: 2, message: /seq 2 is missing/ }],
    ];
    for (const [name, change, expected] of cases) {
      await rewriteStream(redis, log.key, change);
      const result = await verifyEvidenceChain(sources, "ledger");
      expect({ name, problem: result.problem }).toEqual({
        name,
        problem: { seq: expected.seq, message: expect.stringMatching(expected.message) },
      });
      await restore();
    }
    expect(await verifyEvidenceChain(sources, "ledger")).toMatchObject({ ok: true });

    // A checkpoint rewritten to cover a forged head, and one signed by a key that is not ours.
    const blob = container.getBlockBlobClient(checkpointBlobName("ledger", 5));
    const genuine = (await blob.downloadToBuffer()).toString("utf8");
    const forged = JSON.stringify({ ...JSON.parse(genuine), hash: "0".repeat(64) });
    await blob.upload(forged, forged.length);
    expect((await verifyEvidenceChain(sources, "ledger")).problem?.message).toMatch(/signature does not verify/);
    const stranger = signerFromPrivateKeyPem(generatePrivateKeyPem());
    await blob.delete();
    await writeCheckpoint({ ...stores, signer: stranger }, "ledger", log);
    expect((await verifyEvidenceChain(sources, "ledger")).problem?.message).toMatch(
      `signed by key ${stranger.keyId}, not the trusted key ${signer.keyId}`,
    );
  });

  it("the audit chain is verified from its Blob copy once Redis's stream no longer starts at seq 1", async () => {
    const auditPrefix = `${prefix}:a`;
    const auditArchive = service.getContainerClient(`audit-${randomBytes(4).toString("hex")}`);
    await auditArchive.create();
    const audit = createAuditLog(redis, auditPrefix, createBlobAuditArchive(auditArchive), { streamMaxLen: 10 });
    const entry = (n: number): AuditEntry => ({
      at: new Date().toISOString(),
      actor: "qa",
      role: "auditor",
      action: "recordings:list",
      outcome: "ok",
      detail: { n },
    });
    await Promise.all(Array.from({ length: 300 }, (_, n) => audit.append(entry(n))));
    const log = createChainLog(redis, chainKey(auditPrefix, "audit"));
    expect(await log.firstSeq()).toBeGreaterThan(1);
    const container = await archiveContainer();
    await writeCheckpoint({ container, retention: new FakeRetention(), signer, retentionDays: 1 }, "audit", log);
    const sources = { container, verifier, log, auditArchive };
    expect(await verifyEvidenceChain(sources, "audit")).toMatchObject({
      ok: true,
      source: expect.stringContaining("Blob"),
      entries: 300,
      verifiedThrough: 300,
      notYetCovered: null,
    });

    // Someone with the storage key rewrites the day's part without entry 40 (append blobs cannot be edited in
    // place: the attacker deletes and recreates), then with entry 40's detail changed.
    const parts: { name: string }[] = [];
    for await (const blob of auditArchive.listBlobsFlat()) parts.push(blob);
    expect(parts).toHaveLength(1);
    const [part] = parts;
    const original = (await auditArchive.getBlobClient(part!.name).downloadToBuffer()).toString("utf8");
    const rewrite = async (text: string) => {
      const blob = auditArchive.getAppendBlobClient(part!.name);
      await blob.delete();
      await blob.create();
      await blob.appendBlock(text, Buffer.byteLength(text));
    };
    const lines = original.split("\n").filter((l) => l !== "");
    const seqOf = (line: string) => (JSON.parse(line) as { seq: number }).seq;
    await rewrite(`${lines.filter((l) => seqOf(l) !== 40).join("\n")}\n`);
    expect((await verifyEvidenceChain(sources, "audit")).problem).toMatchObject({
      seq: 40,
      message: expect.stringMatching(/seq 40 is missing: seq 39 is followed by seq 41/),
    });
    const altered = lines.map((l) =>
      seqOf(l) === 40 ? JSON.stringify({ ...(JSON.parse(l) as object), outcome: "denied" }) : l,
    );
    await rewrite(`${altered.join("\n")}\n`);
    expect((await verifyEvidenceChain(sources, "audit")).problem).toMatchObject({
      seq: 40,
      message: expect.stringMatching(/seq 40 was altered/),
    });
  });

  it("a checkpoint is never signed over entries that do not link up since the previous one", async () => {
    const key = `${prefix}:seal:chain`;
    const log = createChainLog(redis, key);
    for (let n = 0; n < 4; n++) await log.append({ n });
    const container = await archiveContainer();
    const stores = { container, retention: new FakeRetention(), signer, retentionDays: 1 };
    expect(await writeCheckpoint(stores, "ledger", log)).toMatchObject({ written: true, checkedSince: 0 });
    for (let n = 4; n < 7; n++) await log.append({ n });
    // Entry 6 altered in place, the stored hash fields left as they were.
    await rewriteStream(redis, key, (e) => e.map((f, i) => (i === 5 ? editEntry(f, (x) => (x.n = 60)) : f)));
    expect(await writeCheckpoint(stores, "ledger", log)).toEqual({
      written: false,
      reason: "chain broken",
      problem: { seq: 6, message: expect.stringMatching(/seq 6 was altered/) },
    });
    // The head's own content altered: its stored hash no longer fits it.
    await rewriteStream(redis, key, (e) =>
      e.map((f, i) => (i === 5 ? editEntry(f, (x) => (x.n = 5)) : i === 6 ? editEntry(f, (x) => (x.n = 70)) : f)),
    );
    expect(await writeCheckpoint(stores, "ledger", log)).toMatchObject({
      written: false,
      reason: "chain broken",
      problem: { seq: 7, message: expect.stringMatching(/not the entry stored there/) },
    });
    await rewriteStream(redis, key, (e) => e.map((f, i) => (i === 6 ? editEntry(f, (x) => (x.n = 6)) : f)));
    expect(await writeCheckpoint(stores, "ledger", log)).toMatchObject({
      written: true,
      checkpoint: { seq: 7 },
      checkedSince: 4,
    });
    await log.append({ n: 7 });
    expect(await writeCheckpoint(stores, "ledger", log)).toMatchObject({ written: true, checkedSince: 7 });
    // A forged newest checkpoint (our key id, not our signature) is no base: checkpointing stops, loudly.
    const genuine = await container.getBlockBlobClient(checkpointBlobName("ledger", 8)).downloadToBuffer();
    const forged = JSON.stringify({ ...(JSON.parse(genuine.toString("utf8")) as object), seq: 9 });
    await container.getBlockBlobClient(checkpointBlobName("ledger", 9)).upload(forged, forged.length);
    await log.append({ n: 8 });
    await log.append({ n: 9 });
    expect(await writeCheckpoint(stores, "ledger", log)).toMatchObject({
      written: false,
      reason: "chain broken",
      problem: { seq: 9, message: expect.stringMatching(/signature does not verify/) },
    });
    // After a key rotation the previous key's checkpoints are no base: the new key's first walks the whole chain.
    const rotated = signerFromPrivateKeyPem(generatePrivateKeyPem());
    expect(await writeCheckpoint({ ...stores, signer: rotated }, "ledger", log)).toMatchObject({
      written: true,
      checkpoint: { seq: 10, keyId: rotated.keyId },
      checkedSince: 0,
    });
  });

  it("checkpointChains (the scheduled job's and the export's call) signs each chain that has a new head", async () => {
    const jobPrefix = `${prefix}:job`;
    await createLedger(redis, jobPrefix).record({ serverCallId: "c1", outcome: "pending" });
    const container = await archiveContainer();
    const stores = { container, retention: new FakeRetention(), signer, retentionDays: 1 };
    expect(await checkpointChains(stores, chainLogs(redis, jobPrefix))).toEqual({
      ledger: expect.objectContaining({ written: true, blob: checkpointBlobName("ledger", 1) }),
      audit: { written: false, reason: "empty" },
    });
  });

  it("`recorder ledger checkpoint` and `recorder ledger verify`: exit 0 when intact, 1 naming the bad entry", async () => {
    const cliPrefix = `${prefix}:cli`;
    const ledger = createLedger(redis, cliPrefix);
    await ledger.record({ serverCallId: "c1", outcome: "pending" });
    await ledger.record({ serverCallId: "c1", outcome: "failed", reason: "x" });
    const log = createChainLog(redis, chainKey(cliPrefix, "ledger"));
    const container = await archiveContainer();
    const lines: string[] = [];
    const io = { out: (line: string) => lines.push(line), err: (line: string) => lines.push(`ERR ${line}`) };
    const stores = { container, retention: new FakeRetention(), signer, retentionDays: 1 };
    expect(await checkpointCommand({ ...stores, logs: { ledger: log } }, { chain: "ledger" }, io)).toBe(0);
    expect(lines.join("\n")).toMatch(`ledger: checkpoint of seq 2 written to ${checkpointBlobName("ledger", 2)}`);
    lines.length = 0;
    expect(await verifyCommand({ container, verifier, logs: { ledger: log } }, { chain: "ledger" }, io)).toBe(0);
    expect(lines.join("\n")).toMatch(/verified: seq 1…2 unaltered/);
    await rewriteStream(redis, log.key, (e) => [editEntry(e[0]!, (x) => (x.at = "2020-01-01T00:00:00Z")), e[1]!]);
    lines.length = 0;
    expect(await verifyCommand({ container, verifier, logs: { ledger: log } }, { chain: "ledger" }, io)).toBe(1);
    expect(lines.join("\n")).toMatch(/TAMPERED at seq 1: seq 1 was altered/);
  });
});
