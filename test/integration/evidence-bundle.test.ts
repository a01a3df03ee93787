// Evidence bundles (docs/evidence.md "Bundles"): a zip export streamed from a private Azurite archive into the
// export container, then verified offline from the downloaded file; every kind of byte flipped is detected.
import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BlobServiceClient, type ContainerClient } from "@azure/storage-blob";
import { open as openZip, type Entry } from "yauzl";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAzurite, type RunningAzurite } from "../../scripts/local-stack/services.js";
import { buildManifest, signManifest } from "../../src/archive/index.js";
import {
  buildCheckpoint,
  canonicalSha256,
  generatePrivateKeyPem,
  linkEntry,
  signerFromPrivateKeyPem,
  type ChainHead,
} from "../../src/evidence/index.js";
import type { ExportPayload } from "../../src/queues/index.js";
import { bundleBlobName, runZipExport, verifyBundleFile } from "../../src/retrieval/index.js";
import type { IndexedRecording } from "../../src/retrieval/summary.js";

const signer = signerFromPrivateKeyPem(generatePrivateKeyPem());
const otherSigner = signerFromPrivateKeyPem(generatePrivateKeyPem());
let dataDir: string;
let azurite: RunningAzurite;
let archive: ContainerClient;
let exports: ContainerClient;
const sha = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");

const recordings = new Map<string, IndexedRecording>();
const ledger: Record<string, unknown>[] = [];
let head: ChainHead | undefined;
const chain = (body: Record<string, unknown>) => {
  const entry = JSON.parse(JSON.stringify(linkEntry(body, head))) as Record<string, unknown> & { seq: number };
  ledger.push(entry);
  head = { seq: entry.seq, hash: canonicalSha256(entry) };
};

async function archiveRecording(n: number, chunkBytes: number[]) {
  const folder = `desk/call-${n}/rec-${n}`;
  const chunks = [];
  for (const [index, size] of chunkBytes.entries()) {
    const content = randomBytes(size);
    const metadata = Buffer.from(JSON.stringify({ chunkDuration: 5000, participants: [], index }));
    await archive.getBlockBlobClient(`${folder}/chunk-${index}.wav`).uploadData(content);
    await archive.getBlockBlobClient(`${folder}/chunk-${index}.acsmetadata.json`).uploadData(metadata);
    chunks.push({
      index,
      documentId: `doc-${n}-${index}`,
      endReason: "SessionEnded",
      content: {
        blob: `${folder}/chunk-${index}.wav`,
        sizeBytes: size,
        sha256: sha(content),
        contentType: "audio/wav",
      },
      metadata: {
        blob: `${folder}/chunk-${index}.acsmetadata.json`,
        sha256: sha(metadata),
        document: {
          chunkDuration: 5000,
          pauseResumeIntervals: [],
          participants: [],
          recordingInfo: { contentType: "audio", channelType: "mixed", format: "wav" },
        },
      },
    });
  }
  const manifest = signManifest(
    buildManifest({
      serverCallId: `call-${n}`,
      correlationId: `corr-${n}`,
      recordingId: `rec-${n}`,
      recordingStartTime: "2026-12-01T09:00:00Z",
      teamId: "desk",
      call: { caller: "4:+447700900123", callee: "8:acs:x", participants: ["8:acs:x", "4:+447700900123"] },
      policy: { ruleId: "record-all", mode: "required", policyHash: "p", legalHold: false },
      chunks,
      archivedAt: "2026-12-01T09:10:00Z",
    }),
    signer,
  );
  const bytes = Buffer.from(JSON.stringify(manifest, null, 2));
  await archive.getBlockBlobClient(`${folder}/manifest.json`).uploadData(bytes);
  recordings.set(`rec-${n}`, {
    recordingId: `rec-${n}`,
    serverCallId: `call-${n}`,
    team: "desk",
    startedAt: "2026-12-01T09:00:00Z",
    durationSeconds: 10,
    participants: [],
    outcome: "required",
    ruleId: "record-all",
    chunkCount: chunkBytes.length,
    totalBytes: chunkBytes.reduce((a, b) => a + b, 0),
    channelType: "mixed",
    format: "wav",
    manifestBlob: `${folder}/manifest.json`,
    manifestSha256: sha(bytes),
  });
  chain({ at: "2026-12-01T09:00:00Z", change: "entry", serverCallId: `call-${n}`, entry: { state: "pending" } });
  chain({ at: "2026-12-01T09:00:01Z", change: "entry", serverCallId: `call-${n}`, entry: { state: "recorded" } });
}

const payload = (exportId: string, recordingIds: string[]): ExportPayload => ({
  exportId,
  requestedBy: { name: "auditor-1", role: "auditor" },
  requestedAt: "2026-12-04T10:00:00Z",
  requestedFrom: "127.0.0.1",
  selection: { team: "desk" },
  team: "desk",
  recordingIds,
  target: { container: "exports", folder: `desk/${exportId}` },
  format: "zip",
});

const progress: unknown[] = [];
const ports = (overrides: Partial<Parameters<typeof runZipExport>[0]> = {}) => ({
  source: archive,
  target: exports,
  index: { get: async (id: string) => recordings.get(id) },
  progress: async (p: unknown) => void progress.push(p),
  attempt: 1,
  signer,
  ledgerEntries: async function* () {
    yield* ledger;
  },
  latestLedgerCheckpoint: async () => buildCheckpoint("ledger", head!, new Date("2026-12-04T10:00:00Z"), signer),
  ...overrides,
});

let bundleFile: string;
let publicKeyFile: string;
let bundle: Buffer;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "evidence-bundle-"));
  azurite = await startAzurite(dataDir);
  const service = BlobServiceClient.fromConnectionString(azurite.connectionString);
  archive = service.getContainerClient("archive");
  exports = service.getContainerClient("exports");
  await archive.create();
  chain({ at: "2026-12-01T08:00:00Z", change: "entry", serverCallId: "call-other", entry: { state: "pending" } });
  await archiveRecording(1, [300_000, 5_000]);
  await archiveRecording(2, [70_000]);
  chain({ at: "2026-12-01T10:00:00Z", change: "entry", serverCallId: "call-other", entry: { state: "recorded" } });
  const result = await runZipExport(ports(), payload("exp-1", ["rec-1", "rec-2"]));
  expect(result).toMatchObject({ ok: true, recordings: 2, recordingsOk: 2, bundle: "desk/exp-1/exp-1.zip" });
  bundle = await exports.getBlobClient(bundleBlobName("desk/exp-1", "exp-1")).downloadToBuffer();
  bundleFile = join(dataDir, "bundle.zip");
  publicKeyFile = join(dataDir, "public.pem");
  await writeFile(bundleFile, bundle);
  await writeFile(publicKeyFile, signer.publicKeyPem);
}, 60_000);
afterAll(async () => {
  await azurite?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

function zipEntries(file: string): Promise<Entry[]> {
  return new Promise((resolve, reject) =>
    openZip(file, { lazyEntries: true }, (error, zip) => {
      if (error || !zip) return reject(error ?? new Error("no zip"));
      const entries: Entry[] = [];
      zip.on("entry", (entry: Entry) => {
        entries.push(entry);
        zip.readEntry();
      });
      zip.on("end", () => resolve(entries));
      zip.readEntry();
    }),
  );
}

const dataOffset = (entry: Entry) => entry.relativeOffsetOfLocalHeader + 30 + Buffer.byteLength(entry.fileName);

async function verifyFlipped(position: number) {
  const copy = Buffer.from(bundle);
  copy[position] = copy[position]! ^ 0x01;
  const file = join(dataDir, `flipped-${position}.zip`);
  await writeFile(file, copy);
  return verifyBundleFile(file, await readFile(publicKeyFile, "utf8"));
}

describe("an evidence bundle", () => {
  it("holds the recordings, manifests, custody, ledger slice, checkpoint, key and bundle.json, and verifies offline", async () => {
    const names = (await zipEntries(bundleFile)).map((e) => e.fileName);
    expect(names).toEqual([
      "evidence/public-key.pem",
      "evidence/ledger-checkpoint.json",
      "recordings/desk/call-1/rec-1/manifest.json",
      "recordings/desk/call-1/rec-1/chunk-0.wav",
      "recordings/desk/call-1/rec-1/chunk-0.acsmetadata.json",
      "recordings/desk/call-1/rec-1/chunk-1.wav",
      "recordings/desk/call-1/rec-1/chunk-1.acsmetadata.json",
      "recordings/desk/call-2/rec-2/manifest.json",
      "recordings/desk/call-2/rec-2/chunk-0.wav",
      "recordings/desk/call-2/rec-2/chunk-0.acsmetadata.json",
      "evidence/ledger-slice.json",
      "chain-of-custody.json",
      "bundle.json",
    ]);
    const report = await verifyBundleFile(bundleFile, signer.publicKeyPem);
    expect(report.problems).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.trust).toContain("given with --public-key");
    expect(report.verified).toEqual(
      expect.arrayContaining([
        "zip structure: every header and the central directory as sealed",
        `bundle.json: signed by key ${signer.keyId}, intact`,
        `recordings/desk/call-1/rec-1/manifest.json: signed by key ${signer.keyId}, intact`,
        "2 recordings' chunks and metadata documents checked against their manifests",
        expect.stringMatching(/^ledger checkpoint of seq 6 .* valid; ledger slice consistent with it$/),
      ]),
    );
    // The slice: the four entries of the two exported calls, not the other call's.
    expect(report.notes).toEqual(expect.arrayContaining([expect.stringMatching(/^4 ledger entries of 2 calls/)]));
    expect(progress.at(-1)).toMatchObject({ recordingsDone: 2, recordingsTotal: 2, filesCopied: 6 });
  });

  it("without --public-key, uses the bundle's own key and says it proves integrity, not origin", async () => {
    const report = await verifyBundleFile(bundleFile);
    expect(report.ok).toBe(true);
    expect(report.trust).toMatch(/bundle's own key .* NOT who signed it/);
  });

  it("with another trusted key, names every signature that is not by it", async () => {
    const report = await verifyBundleFile(bundleFile, otherSigner.publicKeyPem);
    expect(report.ok).toBe(false);
    expect(report.problems).toEqual(
      expect.arrayContaining([
        `the bundle seal is signed by key ${signer.keyId}, not the trusted key ${otherSigner.keyId}`,
        `bundle.json is signed by key ${signer.keyId}, not the trusted key ${otherSigner.keyId}`,
        `recordings/desk/call-2/rec-2/manifest.json: signed by key ${signer.keyId}, not the trusted key ${otherSigner.keyId}`,
      ]),
    );
  });

  it("detects one byte flipped inside a chunk, a manifest, bundle.json and the central directory", async () => {
    const entries = await zipEntries(bundleFile);
    const byName = (name: string) => entries.find((e) => e.fileName.endsWith(name))!;

    const chunk = byName("rec-1/chunk-0.wav");
    const inChunk = await verifyFlipped(dataOffset(chunk) + 123_456);
    expect(inChunk.ok).toBe(false);
    expect(inChunk.problems).toEqual([
      expect.stringMatching(
        /^recordings\/desk\/call-1\/rec-1\/chunk-0\.wav: its content was altered: SHA-256 .*, bundle\.json records/,
      ),
      expect.stringMatching(/^recordings\/desk\/call-1\/rec-1\/chunk-0\.wav: chunk 0 differs from its manifest/),
    ]);

    const manifest = byName("rec-2/manifest.json");
    const inManifest = await verifyFlipped(dataOffset(manifest) + 40);
    expect(inManifest.ok).toBe(false);
    expect(inManifest.problems[0]).toMatch(/^recordings\/desk\/call-2\/rec-2\/manifest\.json: its content was altered/);

    const index = byName("bundle.json");
    const inIndex = await verifyFlipped(dataOffset(index) + 30);
    expect(inIndex.ok).toBe(false);
    expect(inIndex.problems[0]).toMatch(/^bundle\.json was altered: it hashes to .*, the seal records/);

    // The central directory starts after the last entry's data; flip a byte of an entry's "version made by",
    // a field no reader needs and nothing else repeats.
    const centralDirectory = bundle.lastIndexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]), bundle.length - 22);
    const inDirectory = await verifyFlipped(centralDirectory + 4);
    expect(inDirectory.ok).toBe(false);
    expect(inDirectory.problems).toEqual([
      expect.stringMatching(
        /^the zip's structure \(local headers, data descriptors, central directory or end records\) was altered/,
      ),
    ]);

    // An entry's offset in the central directory: the layout no longer matches.
    const inOffset = await verifyFlipped(centralDirectory + 42);
    expect(inOffset.ok).toBe(false);
    expect(inOffset.problems[0]).toMatch(/central directory|layout/);

    // The seal itself.
    const inSeal = await verifyFlipped(bundle.length - 10);
    expect(inSeal.ok).toBe(false);
    expect(inSeal.problems[0]).toMatch(/bundle seal/);
  });

  it("is never rewritten: a retry finds it committed and reports the earlier attempt", async () => {
    const before = await exports.getBlobClient("desk/exp-1/exp-1.zip").getProperties();
    const again = await runZipExport(ports({ attempt: 2 }), payload("exp-1", ["rec-1", "rec-2"]));
    expect(again).toMatchObject({ ok: true, recordings: 2, filesCopied: 0, filesSkipped: 13 });
    const after = await exports.getBlobClient("desk/exp-1/exp-1.zip").getProperties();
    expect(after.etag).toBe(before.etag);
  });

  it("an interrupted attempt leaves nothing; the retry starts over and writes the whole bundle", async () => {
    const failing = ports({
      index: {
        get: async (id: string) => {
          if (id === "rec-2") throw new Error("Redis went away");
          return recordings.get(id);
        },
      },
    });
    await expect(runZipExport(failing, payload("exp-2", ["rec-1", "rec-2"]))).rejects.toThrow("Redis went away");
    expect(await exports.getBlobClient("desk/exp-2/exp-2.zip").exists()).toBe(false);
    const retried = await runZipExport(ports({ attempt: 2 }), payload("exp-2", ["rec-1", "rec-2"]));
    expect(retried.ok).toBe(true);
    const file = join(dataDir, "retried.zip");
    await writeFile(file, await exports.getBlobClient("desk/exp-2/exp-2.zip").downloadToBuffer());
    expect((await verifyBundleFile(file, signer.publicKeyPem)).problems).toEqual([]);
  });
});
