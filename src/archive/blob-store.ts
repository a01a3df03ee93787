import { createHash } from "node:crypto";
import { PassThrough, Transform, type Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ContainerClient } from "@azure/storage-blob";

export interface StoredBlob {
  name: string;
  sizeBytes: number;
  sha256: string;
}

const BLOCK_BYTES = 4 * 1024 * 1024;
const CONCURRENCY = 4;

/**
 * Streams a source into a block blob while hashing it (never the whole body in memory), then records the
 * SHA-256 and size in the blob's metadata. An empty body is refused: it is never a recording.
 */
export async function streamToBlob(
  container: ContainerClient,
  name: string,
  source: Readable | NodeJS.ReadableStream,
  contentType: string,
  metadata: Record<string, string>,
): Promise<StoredBlob> {
  const hash = createHash("sha256");
  let sizeBytes = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      sizeBytes += chunk.length;
      callback(null, chunk);
    },
  });
  const body = new PassThrough();
  const blob = container.getBlockBlobClient(name);
  const upload = blob.uploadStream(body, BLOCK_BYTES, CONCURRENCY, {
    blobHTTPHeaders: { blobContentType: contentType },
  });
  await Promise.all([pipeline(source as Readable, meter, body), upload]);
  if (sizeBytes === 0) {
    await blob.deleteIfExists();
    throw new Error(`empty body for ${name}: not archived`);
  }
  const sha256 = hash.digest("hex");
  await blob.setMetadata({ ...metadata, sha256, sizebytes: String(sizeBytes) });
  return { name, sizeBytes, sha256 };
}
