// Sealing a blob where it lies (src/archive/customer-storage.ts, docs/byos.md) against a private Azurite: read once
// with its checks, labelled only if still the version read, idempotent for a retried job, refusing what is not a
// recording.
import { createHash } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BlobServiceClient, type ContainerClient } from "@azure/storage-blob";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAzurite, type RunningAzurite } from "../../scripts/local-stack/services.js";
import {
  IngestRefused,
  IngestVerificationFailed,
  readDocumentInPlace,
  sealContentInPlace,
  sealDocumentInPlace,
} from "../../src/archive/index.js";

let dataDir: string;
let azurite: RunningAzurite;
let container: ContainerClient;
const labels = { metadata: { team: "vault", recordingid: "r1" }, tags: { team: "vault", recordingid: "r1" } };

/** A minimal WAV: RIFF header and `bytes` of audio. */
function wav(bytes: number): Buffer {
  const header = Buffer.alloc(44);
  header.write("RIFF", 0, "latin1");
  header.writeUInt32LE(36 + bytes, 4);
  header.write("WAVEfmt ", 8, "latin1");
  return Buffer.concat([header, Buffer.alloc(bytes, 1)]);
}
const sha256 = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "seal-in-place-"));
  azurite = await startAzurite(dataDir);
  container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient("customer");
  await container.createIfNotExists();
});
afterAll(async () => {
  await azurite?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

describe("seal in place", () => {
  const name = "20261204/call/abcdefgh-guid/0-audiowav.doc0.wav";

  it("reads the content once, checks it, labels it; a retry finds it sealed with the same hash", async () => {
    const bytes = wav(3 * 1024 * 1024);
    const blob = container.getBlockBlobClient(name);
    await blob.upload(bytes, bytes.length);
    const sealed = await sealContentInPlace(blob, labels, "wav");
    expect(sealed).toMatchObject({ sizeBytes: bytes.length, sha256: sha256(bytes), contentType: "audio/wav" });
    expect((await blob.getProperties()).metadata).toMatchObject({ sha256: sha256(bytes), team: "vault" });
    expect((await blob.getTags()).tags).toEqual({ ...labels.tags, sha256: sha256(bytes) });
    // A retried job: the same bytes, already labelled: nothing changes, nothing fails.
    expect((await sealContentInPlace(blob, labels, "wav")).sha256).toBe(sha256(bytes));
  });

  it("refuses a blob changed after it was sealed (another hash), and what is not the recording it is named", async () => {
    const blob = container.getBlockBlobClient(name);
    const changed = wav(1024);
    // A quiet overwrite in place that keeps the old labels: other bytes under the same sha256 metadata.
    const old = (await blob.getProperties()).metadata;
    await blob.upload(changed, changed.length, { metadata: old });
    await expect(sealContentInPlace(blob, labels, "wav")).rejects.toBeInstanceOf(IngestVerificationFailed);

    const html = Buffer.from("<html>error</html>");
    const page = container.getBlockBlobClient("20261204/call/abcdefgh-guid/1-audiowav.doc1.wav");
    await page.upload(html, html.length);
    await expect(sealContentInPlace(page, labels, "wav")).rejects.toBeInstanceOf(IngestRefused);
    expect((await page.getProperties()).metadata?.sha256).toBeUndefined();
    const misnamed = container.getBlockBlobClient("20261204/call/abcdefgh-guid/2-audiomp3.doc2.mp3");
    await misnamed.upload(wav(10), 54);
    await expect(sealContentInPlace(misnamed, labels, "mp3")).rejects.toThrow(/holds wav, named .mp3/);
  });

  it("labels only the version it read: a metadata document replaced between read and label fails (412)", async () => {
    const blob = container.getBlockBlobClient("20261204/call/abcdefgh-guid/0-acsmetadata.doc0.json");
    const document = Buffer.from(JSON.stringify({ callId: "call", chunkDuration: 1000 }));
    await blob.upload(document, document.length);
    const read = await readDocumentInPlace(blob);
    const other = Buffer.from(JSON.stringify({ callId: "someone else" }));
    await blob.upload(other, other.length);
    await expect(sealDocumentInPlace(blob, read, labels)).rejects.toMatchObject({ statusCode: 412 });
    expect((await blob.getProperties()).metadata?.sha256).toBeUndefined();
    const again = await readDocumentInPlace(blob);
    expect((await sealDocumentInPlace(blob, again, labels)).sha256).toBe(sha256(other));
  });

  it("refuses a metadata document that is not a JSON object", async () => {
    const blob = container.getBlockBlobClient("20261204/call/abcdefgh-guid/3-acsmetadata.doc3.json");
    await blob.upload("[1,2]", 5);
    await expect(sealDocumentInPlace(blob, await readDocumentInPlace(blob), labels)).rejects.toBeInstanceOf(
      IngestRefused,
    );
  });
});
