import { createHash } from "node:crypto";
import { PassThrough, Transform, type Readable, type TransformCallback } from "node:stream";
import { ZipFile } from "yazl";
import type { Checkpoint, EvidenceSigner } from "../evidence/index.js";
import type { ExportPayload } from "../queues/index.js";
import { blobAt } from "../archive/index.js";
import { readManifest } from "./archive-reader.js";
import {
  BUNDLE_CHECKPOINT,
  BUNDLE_CUSTODY,
  BUNDLE_INDEX,
  BUNDLE_LEDGER_SLICE,
  BUNDLE_PUBLIC_KEY,
  buildBundleIndex,
  buildSeal,
  inLedgerSlice,
  type BundleFile,
  type LedgerSlice,
} from "./bundle-index.js";
import { bundlePath, chainOfCustody, type ExportedFile, type ExportProgress } from "./bundle.js";
import { exportSelectedRecordings, type ExportPorts, type ExportResult } from "./export.js";
import { withComment, ZipTiler } from "./zip-tiling.js";

export interface ZipExportPorts extends ExportPorts {
  signer: EvidenceSigner;
  /** The ledger chain's entries, oldest first (docs/evidence.md "Chains"). */
  ledgerEntries: () => AsyncIterable<unknown>;
  /** The newest ledger checkpoint (the worker writes one just before the export). */
  latestLedgerCheckpoint: () => Promise<Checkpoint | undefined>;
}

/** Where a zip export is written: one blob in the export's folder, named after the export. */
export const bundleBlobName = (folder: string, exportId: string) => `${folder}/${exportId}.zip`;

const UPLOAD_BLOCK_BYTES = 8 * 1024 * 1024;
const statusOf = (error: unknown) =>
  typeof error === "object" && error !== null && "statusCode" in error ? Number(error.statusCode) : undefined;

/**
 * Seals yazl's output (zip-tiling.ts): passes every byte through, hashes the structure bytes, holds back the
 * central directory and end record (small: about 100 bytes a file), and ends the zip with the signed seal as
 * its comment.
 */
class Sealer extends Transform {
  private readonly structure = createHash("sha256");
  private readonly trailer: Buffer[] = [];
  private readonly tiler: ZipTiler;
  bundleJsonSha256: string | undefined;

  constructor(
    sizes: ReadonlyMap<string, number>,
    private readonly signer: EvidenceSigner,
  ) {
    super();
    this.tiler = new ZipTiler(this.structure, {
      sizeOf: (_index, name) => sizes.get(name),
      content: () => undefined,
      trailer: (piece) => this.trailer.push(Buffer.from(piece)),
    });
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback) {
    try {
      const before = this.tiler.trailerStart === undefined;
      const trailerBefore = this.trailer.reduce((n, b) => n + b.length, 0);
      this.tiler.push(chunk);
      // Everything up to the trailer goes out as it comes; the trailer waits for the seal.
      if (before) {
        const held = this.trailer.reduce((n, b) => n + b.length, 0) - trailerBefore;
        if (held < chunk.length) this.push(chunk.subarray(0, chunk.length - held));
      }
      done();
    } catch (error) {
      done(error as Error);
    }
  }

  override _flush(done: TransformCallback) {
    try {
      this.tiler.finish();
      if (!this.bundleJsonSha256) throw new Error("the bundle was ended before bundle.json was added");
      const provisional = Buffer.concat(this.trailer);
      // The seal's length goes into the end record the structure hash covers; its length does not depend on
      // the hashes' values (fixed-length hex and base64), so a dummy seal measures it.
      const length = buildSeal("0".repeat(64), "0".repeat(64), this.signer).length;
      const trailer = withComment(provisional, Buffer.alloc(length));
      this.structure.update(trailer);
      const seal = buildSeal(this.structure.digest("hex"), this.bundleJsonSha256, this.signer);
      if (seal.length !== length) throw new Error("the seal's length changed while sealing");
      this.push(trailer);
      this.push(seal);
      done();
    } catch (error) {
      done(error as Error);
    }
  }
}

/**
 * Assembles a sealed bundle zip (docs/evidence.md "Bundles"): files are added one at a time (a stream is read only
 * when yazl reaches it, so one file is read at a time), each hashed for bundle.json; `finish` adds the signed
 * bundle.json and the seal. `output` is the zip's bytes, to be piped wherever the bundle goes.
 */
export class BundleWriter {
  readonly files: BundleFile[] = [];
  private readonly sizes = new Map<string, number>();
  private readonly zip = new ZipFile();
  private readonly sealer: Sealer;
  readonly output: Readable;
  private readonly entryOptions;

  constructor(
    private readonly signer: EvidenceSigner,
    private readonly createdAt: Date,
  ) {
    this.sealer = new Sealer(this.sizes, signer);
    this.output = this.zip.outputStream.pipe(this.sealer);
    // Stored, not deflated: recordings are compressed audio already, and a stored file verifies at hashing speed.
    this.entryOptions = { mtime: createdAt, compress: false, forceDosTimestamp: true } as const;
  }

  addBuffer(path: string, bytes: Buffer): void {
    this.sizes.set(path, bytes.length);
    this.zip.addBuffer(bytes, path, this.entryOptions);
    this.files.push({ path, sizeBytes: bytes.length, sha256: createHash("sha256").update(bytes).digest("hex") });
  }

  /** Adds `size` bytes read from `open()` when the zip reaches them; resolves with their SHA-256 once all went in. */
  addStream(path: string, size: number, open: () => Promise<NodeJS.ReadableStream>): Promise<string> {
    this.sizes.set(path, size);
    const hash = createHash("sha256");
    return new Promise<string>((resolve, reject) => {
      this.zip.addReadStreamLazy(path, { ...this.entryOptions, size }, (callback) => {
        open()
          .then((body) => {
            const through = new PassThrough();
            through.on("data", (piece: Buffer) => hash.update(piece));
            through.on("end", () => {
              const sha256 = hash.digest("hex");
              this.files.push({ path, sizeBytes: size, sha256 });
              resolve(sha256);
            });
            through.on("error", reject);
            body.on("error", (error: Error) => {
              reject(error);
              through.destroy(error);
            });
            body.pipe(through);
            callback(null, through);
          })
          .catch((error: unknown) => {
            reject(error as Error);
            callback(error as Error, new PassThrough());
          });
      });
    });
  }

  /** Adds bundle.json (every file added, signed) and ends the zip; the seal follows when its bytes are out. */
  finish(exportId: string): void {
    const index = buildBundleIndex(
      { exportId, createdAt: this.createdAt.toISOString(), files: this.files },
      this.signer,
    );
    this.sealer.bundleJsonSha256 = createHash("sha256").update(index).digest("hex");
    this.sizes.set(BUNDLE_INDEX, index.length);
    this.zip.addBuffer(index, BUNDLE_INDEX, this.entryOptions);
    this.zip.end();
  }

  abort(error: Error): void {
    this.sealer.destroy(error);
  }
}

/**
 * An export as one zip (docs/evidence.md "Bundles"): recordings (manifests, chunks, metadata documents), the
 * ledger slice of their calls, the ledger checkpoint covering it, the public key, the chain of custody and a
 * signed bundle.json, sealed. Streamed from the archive into one block blob (If-None-Match: *): files are read
 * one at a time and hashed on the way, never the whole bundle in memory. Restartable, not resumable: a block blob
 * becomes visible only when its block list is committed at the end, so an interrupted attempt leaves nothing
 * (Azure discards uncommitted blocks) and the retry starts over; a bundle already committed by an earlier
 * attempt is never rewritten.
 */
export async function runZipExport(ports: ZipExportPorts, payload: ExportPayload): Promise<ExportResult> {
  const now = ports.now ?? (() => new Date());
  const createdAt = now();
  const name = bundleBlobName(payload.target.folder, payload.exportId);
  await ports.target.createIfNotExists();
  const blob = ports.target.getBlockBlobClient(name);
  const base = {
    exportId: payload.exportId,
    target: payload.target,
    chainOfCustody: `${name} → ${BUNDLE_CUSTODY}`,
    sha256sums: `${name} → ${BUNDLE_INDEX}`,
    bundle: name,
  };
  const existing = await blob.getProperties().catch((error: unknown) => {
    if (statusOf(error) === 404) return undefined;
    throw error;
  });
  if (existing) return earlierAttempt(base, existing.metadata ?? {}, existing.contentLength ?? 0);

  const counters: ExportProgress = {
    recordingsDone: 0,
    recordingsTotal: payload.recordingIds.length,
    filesCopied: 0,
    filesSkipped: 0,
    bytesCopied: 0,
  };
  const writer = new BundleWriter(ports.signer, createdAt);
  const uploaded = blob.uploadStream(writer.output, UPLOAD_BLOCK_BYTES, 2, {
    blobHTTPHeaders: { blobContentType: "application/zip" },
    conditions: { ifNoneMatch: "*" },
  });
  // An upload that fails ends everything; a file being added waits on this too, so nothing hangs.
  const failed = uploaded.then(
    () => new Promise<never>(() => undefined),
    (error: unknown) => Promise.reject(error as Error),
  );
  failed.catch(() => undefined);
  const addBuffer = async (path: string, bytes: Buffer) => writer.addBuffer(path, bytes);

  /** Streams one archived blob into the zip, hashing it; resolves once its last byte went in. */
  const addBlob = async (
    kind: ExportedFile["kind"],
    source: string,
    expectedSha256: string,
    chunk?: number,
  ): Promise<ExportedFile> => {
    const path = bundlePath(source);
    const file = { kind, ...(chunk !== undefined ? { chunk } : {}), source, path, expectedSha256 };
    const properties = await blobAt(ports.source, source)
      .getProperties()
      .catch((error: unknown) => {
        if (statusOf(error) === 404) return undefined;
        throw error;
      });
    if (!properties)
      return { ...file, actualSha256: null, sizeBytes: null, ok: false, copiedBy: "this attempt", verifiedAt: null };
    const size = properties.contentLength ?? 0;
    const actualSha256 = await Promise.race([
      writer.addStream(path, size, async () => {
        const download = await blobAt(ports.source, source)
          // Exactly the version measured: a blob replaced in between fails the download instead of mixing.
          .download(0, undefined, { conditions: { ifMatch: properties.etag } });
        if (!download.readableStreamBody) throw new Error(`${source}: the download has no body`);
        return download.readableStreamBody;
      }),
      failed,
    ]);
    counters.filesCopied++;
    counters.bytesCopied += size;
    const ok = actualSha256 === expectedSha256;
    return {
      ...file,
      actualSha256,
      sizeBytes: size,
      ok,
      copiedBy: "this attempt",
      verifiedAt: ok ? now().toISOString() : null,
    };
  };

  try {
    const checkpoint = await ports.latestLedgerCheckpoint();
    await addBuffer(BUNDLE_PUBLIC_KEY, Buffer.from(`key id: ${ports.signer.keyId}\n${ports.signer.publicKeyPem}`));
    if (checkpoint) await addBuffer(BUNDLE_CHECKPOINT, Buffer.from(`${JSON.stringify(checkpoint, null, 2)}\n`));

    const recordings = await exportSelectedRecordings(payload, ports, counters, {
      // Read once: its bytes go into the zip, its content gives the chunk list.
      async manifest(recording) {
        const read = await readManifest(ports.source, recording.manifestBlob);
        const manifestPath = bundlePath(recording.manifestBlob);
        if (read) await addBuffer(manifestPath, read.bytes);
        const ok = read?.sha256 === recording.manifestSha256;
        const file: ExportedFile = {
          kind: "manifest",
          source: recording.manifestBlob,
          path: manifestPath,
          expectedSha256: recording.manifestSha256,
          actualSha256: read?.sha256 ?? null,
          sizeBytes: read?.bytes.length ?? null,
          ok,
          copiedBy: "this attempt",
          verifiedAt: ok ? now().toISOString() : null,
        };
        return { file, manifest: read?.manifest };
      },
      file: addBlob,
    });

    const serverCallIds = [...new Set(recordings.flatMap((r) => (r.serverCallId ? [r.serverCallId] : [])))];
    const recordingIds = recordings.filter((r) => r.serverCallId).map((r) => r.recordingId);
    const slice: LedgerSlice = {
      chain: "ledger",
      checkpointSeq: checkpoint?.seq ?? 0,
      serverCallIds,
      recordingIds,
      entries: [],
    };
    if (checkpoint) {
      const calls = new Set(serverCallIds);
      const ids = new Set(recordingIds);
      for await (const entry of ports.ledgerEntries()) {
        const seq = (entry as { seq?: unknown }).seq;
        if (typeof seq === "number" && seq > checkpoint.seq) break;
        if (inLedgerSlice(entry, calls, ids)) slice.entries.push(entry as Record<string, unknown>);
      }
    }
    await addBuffer(BUNDLE_LEDGER_SLICE, Buffer.from(`${JSON.stringify(slice, null, 2)}\n`));

    const custody = {
      ...chainOfCustody({ payload, recordings, attempt: ports.attempt, completedAt: now().toISOString() }),
      format: "zip",
      ledgerCheckpoint: checkpoint ? { seq: checkpoint.seq, at: checkpoint.at, keyId: checkpoint.keyId } : null,
    };
    await addBuffer(BUNDLE_CUSTODY, Buffer.from(`${JSON.stringify(custody, null, 2)}\n`));
    writer.finish(payload.exportId);
    try {
      await uploaded;
    } catch (error) {
      // Committed meanwhile by another attempt of the same job (a stalled one): that bundle stands.
      if (statusOf(error) === 409 || statusOf(error) === 412) {
        const found = await blob.getProperties();
        return earlierAttempt(base, found.metadata ?? {}, found.contentLength ?? 0);
      }
      throw error;
    }
    const properties = await blob.getProperties();
    const bytes = properties.contentLength ?? 0;
    await blob.setMetadata({
      ok: String(custody.ok),
      recordings: String(recordings.length),
      recordingsok: String(recordings.filter((r) => r.ok).length),
      files: String(writer.files.length + 1), // and bundle.json
    });
    return {
      ...base,
      ok: custody.ok,
      recordings: recordings.length,
      recordingsOk: recordings.filter((r) => r.ok).length,
      filesCopied: counters.filesCopied,
      filesSkipped: 0,
      bytesCopied: bytes,
      problems: recordings.flatMap((r) => r.problems.map((p) => `${r.recordingId}: ${p}`)),
    };
  } catch (error) {
    // Nothing is committed: the staged blocks are discarded by the service; the job's retry starts over.
    writer.abort(error as Error);
    await uploaded.catch(() => undefined);
    throw error;
  }
}

function earlierAttempt(
  base: Pick<ExportResult, "exportId" | "target" | "chainOfCustody" | "sha256sums" | "bundle">,
  metadata: Record<string, string>,
  bytes: number,
): ExportResult {
  return {
    ...base,
    ok: metadata.ok === "true",
    recordings: Number(metadata.recordings ?? 0),
    recordingsOk: Number(metadata.recordingsok ?? 0),
    filesCopied: 0,
    filesSkipped: Number(metadata.files ?? 0),
    bytesCopied: bytes,
    problems:
      metadata.ok === undefined
        ? ["the bundle was written by an earlier attempt whose result was not recorded: run `recorder bundle verify`"]
        : metadata.ok === "true"
          ? []
          : [
              "the bundle written by an earlier attempt has recordings that failed verification: see its chain of custody",
            ],
  };
}
