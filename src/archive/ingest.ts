import { createHash, type Hash } from "node:crypto";
import type { Readable } from "node:stream";
import type { BlockBlobClient, ContainerClient } from "@azure/storage-blob";
import { CONTENT_TYPES, blockIdFor, parseBlockId, planResume, sniffMedia, type MediaKind } from "./blocks.js";
import { stageInBlocks } from "./staging.js";

/** A body that is not a recording (empty, HTML error page, …): the job fails and is retried, nothing is committed. */
export class IngestRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = "IngestRefused";
  }
}

/** The archived copy does not match what was read: never left looking like a good recording. */
export class IngestVerificationFailed extends Error {
  constructor(message: string) {
    super(message);
    this.name = "IngestVerificationFailed";
  }
}

/** Opens the source from a byte offset (0 = the whole body). */
export type OpenSource = (offset: number) => Promise<Readable | NodeJS.ReadableStream>;

export interface IngestOptions {
  blockBytes: number;
  /** Block buffers at once, being filled or staged (memory ≈ concurrency × blockBytes; see staging.ts). */
  concurrency: number;
  /** With `documentid`, a blob already there must hold that very document (see documentMismatch). */
  metadata: Record<string, string>;
  tags: Record<string, string>;
}

export interface IngestedBlob {
  name: string;
  sizeBytes: number;
  sha256: string;
  contentType: string;
  blocks: number;
  /** Bytes found already staged by an earlier attempt (0 for a fresh download). */
  resumedFrom: number;
  /** "fresh": streamed and hashed now; "resumed": finished from staged blocks; "existing": archived before. */
  outcome: "fresh" | "resumed" | "existing";
  /** The ACS document the blob holds, from its metadata (undefined when none was given). */
  documentId?: string | undefined;
}

/**
 * Why a blob already under this name cannot be taken as this document's archive: it names another document, or
 * none. Blob names come from the recording's key and the chunk index; a blob that holds another document means
 * two recordings met under one name, and counting it archived would lose one of them (and its ACS copy).
 */
export function documentMismatch(
  expected: string | undefined,
  found: Record<string, string> | undefined,
): string | undefined {
  if (expected === undefined) return undefined;
  const actual = found?.documentid;
  if (actual === expected) return undefined;
  return actual === undefined
    ? `holds no documentid, expected ${expected}`
    : `holds document ${actual}, not ${expected}`;
}

const isStatus = (error: unknown, status: number) =>
  typeof error === "object" && error !== null && "statusCode" in error && error.statusCode === status;
/** The recording SDK's download and delete throw plain `{status}` objects, not RestErrors (docs/acs-payloads.md "Recording files"). */
export const isRecordingStatus = (error: unknown, status: number) =>
  typeof error === "object" && error !== null && "status" in error && error.status === status;

/**
 * Streams a recording chunk into a block blob, resumably: blocks of `blockBytes` are staged with their
 * Content-MD5 under ids that carry index and MD5 (blocks.ts); an interrupted attempt is continued from the
 * last full staged block with a ranged download. The blob is committed only when the body is complete,
 * with `If-None-Match: *` so an archived chunk is never replaced, and then verified:
 * - fresh: the SHA-256 computed while streaming; the committed block list and size must equal what was staged;
 * - resumed (or committed by an attempt that died before verifying): the committed blob is read back once,
 *   each block's MD5 checked against its id (= what was read from ACS) and the SHA-256 computed from it.
 * Only a verified blob gets its `sha256` metadata and tags, which is what marks it archived.
 */
export async function ingestContent(
  container: ContainerClient,
  name: string,
  open: OpenSource,
  options: IngestOptions,
): Promise<IngestedBlob> {
  const blob = container.getBlockBlobClient(name);
  const existing = await blob.getProperties().catch((error: unknown) => {
    if (isStatus(error, 404)) return undefined;
    throw error;
  });
  const expectedDocument = options.metadata.documentid;
  const mismatch = existing ? documentMismatch(expectedDocument, existing.metadata) : undefined;
  if (mismatch) throw new IngestVerificationFailed(`${name}: ${mismatch}; nothing of it is taken as archived`);
  if (existing?.metadata?.sha256) {
    return {
      name,
      sizeBytes: existing.contentLength ?? 0,
      sha256: existing.metadata.sha256,
      contentType: existing.contentType ?? "",
      blocks: 0,
      resumedFrom: 0,
      outcome: "existing",
      documentId: expectedDocument,
    };
  }
  if (existing) return finishByReadBack(blob, name, options, 0);

  const uncommitted = await blob.getBlockList("uncommitted").catch((error: unknown) => {
    if (isStatus(error, 404)) return { uncommittedBlocks: [] };
    throw error;
  });
  const plan = planResume(
    (uncommitted.uncommittedBlocks ?? []).map((b) => ({ name: b.name, size: b.size })),
    options.blockBytes,
  );
  const ids = plan.kept.map((block) => blockIdFor(block.index, Buffer.from(block.md5, "hex")));
  let media: MediaKind | undefined;
  let body: AsyncIterable<Buffer> = (async function* () {})();
  try {
    body = (await open(plan.offset)) as AsyncIterable<Buffer>;
  } catch (error) {
    // Everything was staged before the previous attempt stopped: nothing is left past the offset.
    if (!(plan.offset > 0 && isRecordingStatus(error, 416))) throw error;
  }
  const staged = await stageInBlocks(
    body,
    {
      blockBytes: options.blockBytes,
      concurrency: options.concurrency,
      firstIndex: plan.kept.length,
      sha256: plan.offset === 0,
    },
    (block) => {
      if (block.index === 0) {
        media = sniffMedia(block.bytes);
        if (!media) throw new IngestRefused(`${name}: body is not WAV, MP3 or MP4 (${describeHead(block.bytes)})`);
      }
      const id = blockIdFor(block.index, block.md5);
      ids[block.index] = id;
      return blob.stageBlock(id, block.bytes, block.bytes.length, { transactionalContentMD5: block.md5 });
    },
  );
  const total = plan.offset + staged.bytes;
  if (total === 0) throw new IngestRefused(`${name}: zero-byte body`);

  const contentType = media ? CONTENT_TYPES[media] : "application/octet-stream";
  const sha256 = staged.sha256;
  await blob.commitBlockList(ids, {
    blobHTTPHeaders: { blobContentType: contentType },
    metadata: options.metadata,
    conditions: { ifNoneMatch: "*" },
  });
  if (!sha256) return finishByReadBack(blob, name, options, plan.offset);

  const committed = await blob.getBlockList("committed");
  const committedIds = (committed.committedBlocks ?? []).map((b) => b.name);
  if (committed.blobContentLength !== total || committedIds.join() !== ids.join()) {
    throw new IngestVerificationFailed(
      `${name}: committed ${committed.blobContentLength ?? "?"} bytes in ${committedIds.length} blocks, read ${total} in ${ids.length}`,
    );
  }
  await markArchived(blob, options, sha256, total);
  return {
    name,
    sizeBytes: total,
    sha256,
    contentType,
    blocks: ids.length,
    resumedFrom: 0,
    outcome: "fresh",
    documentId: expectedDocument,
  };
}

/** Reads the committed blob back, checking each block's MD5 against its id, and computes the SHA-256. */
async function finishByReadBack(
  blob: BlockBlobClient,
  name: string,
  options: IngestOptions,
  resumedFrom: number,
): Promise<IngestedBlob> {
  const list = await blob.getBlockList("committed");
  const blocks = (list.committedBlocks ?? []).map((b) => ({ ...parseBlockId(b.name), size: b.size }));
  const download = await blob.download(0);
  const stream = download.readableStreamBody;
  if (!stream) throw new IngestVerificationFailed(`${name}: no body when reading back`);
  const whole = createHash("sha256");
  let blockHash: Hash = createHash("md5");
  let index = 0;
  let inBlock = 0;
  let total = 0;
  let head = Buffer.alloc(0);
  const closeBlock = () => {
    const expected = blocks[index];
    const actual = blockHash.digest("hex");
    if (!expected || expected.md5 !== actual || expected.index !== index)
      throw new IngestVerificationFailed(`${name}: block ${index} read back does not match what was staged`);
    index++;
    inBlock = 0;
    blockHash = createHash("md5");
  };
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    if (head.length < 16) head = Buffer.concat([head, chunk.subarray(0, 16)]);
    whole.update(chunk);
    total += chunk.length;
    let from = 0;
    while (from < chunk.length) {
      const size = blocks[index]?.size ?? Infinity;
      const n = Math.min(chunk.length - from, size - inBlock);
      blockHash.update(chunk.subarray(from, from + n));
      inBlock += n;
      from += n;
      if (inBlock === size) closeBlock();
    }
  }
  if (inBlock > 0 || index !== blocks.length || total === 0)
    throw new IngestVerificationFailed(`${name}: read back ${total} bytes in ${index} of ${blocks.length} blocks`);
  // The attempt that sniffed block 0 is gone; the read-back sniffs it again for the content type.
  const media = sniffMedia(head);
  if (!media) throw new IngestVerificationFailed(`${name}: read back, it is not WAV, MP3 or MP4`);
  const contentType = CONTENT_TYPES[media];
  const sha256 = whole.digest("hex");
  await blob.setHTTPHeaders({ blobContentType: contentType });
  await markArchived(blob, options, sha256, total);
  return {
    name,
    sizeBytes: total,
    sha256,
    contentType,
    blocks: blocks.length,
    resumedFrom,
    outcome: "resumed",
    documentId: options.metadata.documentid,
  };
}

async function markArchived(blob: BlockBlobClient, options: IngestOptions, sha256: string, size: number) {
  await blob.setMetadata({ ...options.metadata, sha256, sizebytes: String(size) });
  await blob.setTags({ ...options.tags, sha256 });
}

function describeHead(bytes: Buffer): string {
  const text = bytes.toString("latin1", 0, Math.min(bytes.length, 24)).replace(/[^\x20-\x7e]/g, ".");
  return `starts with "${text}"`;
}

const METADATA_LIMIT = 4 * 1024 * 1024;

/** Reads a small document whole, refusing an empty one or one past the limit (bounded memory). */
export async function readDocument(source: Readable | NodeJS.ReadableStream, name: string): Promise<Buffer> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const piece of source as AsyncIterable<Buffer>) {
    size += piece.length;
    if (size > METADATA_LIMIT)
      throw new IngestRefused(`${name}: metadata document larger than ${METADATA_LIMIT} bytes`);
    parts.push(piece);
  }
  const bytes = Buffer.concat(parts);
  if (bytes.length === 0) throw new IngestRefused(`${name}: zero-byte metadata document`);
  return bytes;
}

/**
 * The metadata document (docs/acs-payloads.md "Metadata document") is small: read whole (bounded), checked to be a JSON object,
 * uploaded as one block with its Content-MD5 and `If-None-Match: *`.
 */
export async function ingestDocument(
  container: ContainerClient,
  name: string,
  source: Readable | NodeJS.ReadableStream,
  options: Pick<IngestOptions, "metadata" | "tags">,
): Promise<IngestedBlob & { document: unknown }> {
  const bytes = await readDocument(source, name);
  let document: unknown;
  try {
    document = JSON.parse(bytes.toString("utf8"));
  } catch {
    throw new IngestRefused(`${name}: metadata document is not JSON (${describeHead(bytes)})`);
  }
  if (typeof document !== "object" || document === null || Array.isArray(document))
    throw new IngestRefused(`${name}: metadata document is not a JSON object`);
  const sha256 = createHash("sha256").update(bytes).digest("hex");
  const blob = container.getBlockBlobClient(name);
  const contentType = "application/json";
  try {
    const md5 = createHash("md5").update(bytes).digest();
    const id = blockIdFor(0, md5);
    await blob.stageBlock(id, bytes, bytes.length, { transactionalContentMD5: md5 });
    await blob.commitBlockList([id], {
      blobHTTPHeaders: { blobContentType: contentType },
      metadata: { ...options.metadata, sha256, sizebytes: String(bytes.length) },
      tags: { ...options.tags, sha256 },
      conditions: { ifNoneMatch: "*" },
    });
  } catch (error) {
    if (!isStatus(error, 409) && !isStatus(error, 412)) throw error;
    const properties = await blob.getProperties();
    if (properties.metadata?.sha256 !== sha256)
      throw new IngestVerificationFailed(`${name}: an archived metadata document with another hash exists`);
    return {
      name,
      sizeBytes: bytes.length,
      sha256,
      contentType,
      blocks: 1,
      resumedFrom: 0,
      outcome: "existing",
      document,
    };
  }
  return { name, sizeBytes: bytes.length, sha256, contentType, blocks: 1, resumedFrom: 0, outcome: "fresh", document };
}
