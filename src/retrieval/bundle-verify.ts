/**
 * `recorder bundle verify FILE` (docs/evidence.md "Bundles"): checks an evidence bundle from the file alone — no
 * Redis, no Blob, no network. yauzl reads the zip's central directory (the file's end); then the file is read
 * once, start to end, and every byte hashed once (zip-tiling.ts): each file's content against bundle.json, the
 * zip's structure against the signed seal. Then the signatures (seal, bundle.json, manifests, checkpoint) with
 * the trusted key, every chunk and metadata document against its manifest, and the ledger slice.
 */
import { createHash, type Hash } from "node:crypto";
import { createReadStream } from "node:fs";
import { open as openZip, type Entry, type ZipFile } from "yauzl";
import { manifestSignatureReport } from "../archive/index.js";
import { checkpointSchema, verifierFromPublicKeyPem, type EvidenceVerifier } from "../evidence/index.js";
import {
  BUNDLE_CHECKPOINT,
  BUNDLE_INDEX,
  BUNDLE_LEDGER_SLICE,
  BUNDLE_PUBLIC_KEY,
  bundleIndexProblem,
  bundleIndexSchema,
  checkLedgerSlice,
  ledgerSliceSchema,
  parseSeal,
  sealProblem,
} from "./bundle-index.js";
import { bundlePath } from "./bundle.js";
import { archivedManifest } from "./summary.js";
import { ZipLayoutError, ZipTiler } from "./zip-tiling.js";

export interface BundleVerification {
  ok: boolean;
  file: string;
  /** Which key the signatures were checked with, and what that proves. */
  trust: string;
  /** Everything that does not verify, each naming the file and what differs. */
  problems: string[];
  /** What was checked and holds. */
  verified: string[];
  /** What the bundle cannot prove by itself. */
  notes: string[];
}

/** Small files are kept while read, to be parsed: the JSON documents and the key. Chunks only hashed. */
const KEEP_BYTES = 16 * 1024 * 1024;
const keeps = (name: string, size: number) => size <= KEEP_BYTES && /\.(json|pem)$/.test(name);

const short = (hash: string) => `${hash.slice(0, 12)}…`;

function centralDirectory(path: string): Promise<{ entries: Entry[]; comment: string; fileSize: number }> {
  return new Promise((resolve, reject) => {
    openZip(
      path,
      { lazyEntries: true, autoClose: false, strictFileNames: true, validateEntrySizes: true },
      (error, zip) => {
        if (error || !zip) return reject(error ?? new Error("no zip"));
        const entries: Entry[] = [];
        const file = zip as ZipFile;
        file.on("entry", (entry: Entry) => {
          entries.push(entry);
          file.readEntry();
        });
        file.on("end", () => {
          file.close();
          resolve({ entries, comment: file.comment, fileSize: file.fileSize });
        });
        file.on("error", (err: Error) => {
          file.close();
          reject(err);
        });
        file.readEntry();
      },
    );
  });
}

interface Read {
  sha256: string;
  size: number;
  bytes?: Buffer;
}

/** Reads the file once: every entry's SHA-256 (and the small ones' bytes), and the structure hash. */
async function readAll(
  path: string,
  entries: readonly Entry[],
  fileSize: number,
  commentLength: number,
): Promise<{ files: Map<string, Read>; structureSha256: string }> {
  const structure = createHash("sha256");
  const hashes: Hash[] = [];
  const kept: Buffer[][] = [];
  let trailerLeft = -1;
  const tiler = new ZipTiler(structure, {
    sizeOf(index, name) {
      const entry = entries[index];
      if (!entry) throw new ZipLayoutError(`local header ${index + 1} (${name}) is not in the central directory`);
      if (entry.fileName !== name)
        throw new ZipLayoutError(
          `local header ${index + 1} is named ${name}, the central directory's entry ${index + 1} ${entry.fileName}`,
        );
      hashes[index] = createHash("sha256");
      kept[index] = [];
      return entry.uncompressedSize;
    },
    content(index, piece) {
      hashes[index]!.update(piece);
      if (keeps(entries[index]!.fileName, entries[index]!.uncompressedSize)) kept[index]!.push(Buffer.from(piece));
    },
    trailer(piece) {
      // The trailer runs to the end of the file; its last `commentLength` bytes are the seal, not hashed.
      if (trailerLeft < 0) trailerLeft = fileSize - (tiler.trailerStart ?? 0) - commentLength;
      const take = Math.max(0, Math.min(trailerLeft, piece.length));
      if (take > 0) structure.update(piece.subarray(0, take));
      trailerLeft -= take;
    },
  });
  for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 })) tiler.push(chunk as Buffer);
  tiler.finish();
  if (tiler.entries.length !== entries.length)
    throw new ZipLayoutError(
      `the file holds ${tiler.entries.length} entries, its central directory lists ${entries.length}`,
    );
  const files = new Map<string, Read>();
  for (const [index, tiled] of tiler.entries.entries()) {
    const entry = entries[index]!;
    if (entry.relativeOffsetOfLocalHeader !== tiled.offset)
      throw new ZipLayoutError(
        `${entry.fileName}: the central directory places it at byte ${entry.relativeOffsetOfLocalHeader}, it is at ${tiled.offset}`,
      );
    if (files.has(entry.fileName)) throw new ZipLayoutError(`${entry.fileName} is in the zip twice`);
    files.set(entry.fileName, {
      sha256: hashes[index]!.digest("hex"),
      size: tiled.size,
      ...(keeps(entry.fileName, entry.uncompressedSize) ? { bytes: Buffer.concat(kept[index]!) } : {}),
    });
  }
  return { files, structureSha256: structure.digest("hex") };
}

const parseJson = (bytes: Buffer | undefined): unknown => {
  if (!bytes) return undefined;
  try {
    return JSON.parse(bytes.toString("utf8"));
  } catch {
    return undefined;
  }
};

/**
 * Verifies a bundle file. `trustedKeyPem`: the public key obtained from somewhere other than the bundle (the
 * firm's compliance file); without it, the bundle's own key is used, which proves integrity but not origin.
 */
export async function verifyBundleFile(path: string, trustedKeyPem?: string): Promise<BundleVerification> {
  const problems: string[] = [];
  const verified: string[] = [];
  const notes: string[] = [];
  const result = (trust: string): BundleVerification => ({
    ok: problems.length === 0,
    file: path,
    trust,
    problems,
    verified,
    notes,
  });

  let directory: Awaited<ReturnType<typeof centralDirectory>>;
  try {
    directory = await centralDirectory(path);
  } catch (error) {
    problems.push(`the zip's central directory or end record is damaged: ${(error as Error).message}`);
    return result("nothing checked");
  }
  const seal = parseSeal(Buffer.from(directory.comment, "latin1"));
  let read: Awaited<ReturnType<typeof readAll>>;
  try {
    read = await readAll(path, directory.entries, directory.fileSize, directory.comment.length);
  } catch (error) {
    problems.push(
      error instanceof ZipLayoutError
        ? `the zip's layout is damaged: ${error.message}`
        : `the file could not be read: ${(error as Error).message}`,
    );
    return result("nothing checked");
  }
  const { files } = read;

  // The key.
  let verifier: EvidenceVerifier | undefined;
  let trust: string;
  const ownKey = files.get(BUNDLE_PUBLIC_KEY)?.bytes?.toString("utf8");
  try {
    if (trustedKeyPem) {
      verifier = verifierFromPublicKeyPem(trustedKeyPem, "--public-key");
      trust = `signatures checked with ${verifier.describe} (given with --public-key): proves integrity and origin`;
    } else if (ownKey) {
      verifier = verifierFromPublicKeyPem(ownKey, BUNDLE_PUBLIC_KEY);
      trust = `signatures checked with the bundle's own key ${verifier.keyId} (no --public-key): proves the bundle is intact as signed by that key, NOT who signed it — check the key id against the firm's published key`;
      notes.push("the bundle's own public key proves integrity only, not origin: give --public-key");
    } else trust = "no key: the bundle has no public key and none was given";
  } catch (error) {
    trust = "no usable key";
    problems.push((error as Error).message);
  }

  // The seal: the zip's structure and bundle.json's bytes.
  const bundleJson = files.get(BUNDLE_INDEX);
  if (typeof seal === "string") problems.push(seal);
  else {
    if (verifier) {
      const wrong = sealProblem(seal, verifier);
      if (wrong) problems.push(wrong);
    }
    if (seal.structureSha256 !== read.structureSha256)
      problems.push(
        `the zip's structure (local headers, data descriptors, central directory or end records) was altered: it hashes to ${read.structureSha256}, the seal records ${seal.structureSha256}`,
      );
    else verified.push("zip structure: every header and the central directory as sealed");
    if (bundleJson && bundleJson.sha256 !== seal.bundleJsonSha256)
      problems.push(
        `bundle.json was altered: it hashes to ${bundleJson.sha256}, the seal records ${seal.bundleJsonSha256}`,
      );
  }

  // bundle.json: the list of every other file.
  const parsedIndex = bundleIndexSchema.safeParse(parseJson(bundleJson?.bytes));
  if (!bundleJson) problems.push("bundle.json is missing");
  else if (!parsedIndex.success) problems.push("bundle.json is not a bundle index (altered or damaged)");
  else {
    const index = parsedIndex.data;
    if (verifier) {
      const wrong = bundleIndexProblem(index, verifier);
      if (wrong) problems.push(wrong);
      else verified.push(`bundle.json: signed by key ${index.signature.keyId}, intact`);
    }
    const listed = new Set<string>();
    for (const file of index.files) {
      if (listed.has(file.path)) problems.push(`bundle.json lists ${file.path} twice`);
      listed.add(file.path);
      const found = files.get(file.path);
      if (!found) problems.push(`${file.path}: listed in bundle.json, missing from the zip`);
      else if (found.size !== file.sizeBytes)
        problems.push(`${file.path}: ${found.size} bytes, bundle.json records ${file.sizeBytes}`);
      else if (found.sha256 !== file.sha256)
        problems.push(
          `${file.path}: its content was altered: SHA-256 ${short(found.sha256)}, bundle.json records ${short(file.sha256)}`,
        );
    }
    for (const name of files.keys())
      if (name !== BUNDLE_INDEX && !listed.has(name))
        problems.push(`${name}: in the zip, not listed in bundle.json (added)`);
    verified.push(`${index.files.length} files hashed against bundle.json`);
  }

  // Recordings: each manifest's signature, each chunk and metadata document against it.
  let manifests = 0;
  for (const [name, file] of files) {
    if (!name.startsWith("recordings/") || !name.endsWith("/manifest.json")) continue;
    manifests++;
    const document = parseJson(file.bytes);
    const report = manifestSignatureReport(document, verifier);
    if (report.status === "intact") verified.push(`${name}: ${report.summary}`);
    else if (report.status === "unsigned") notes.push(`${name}: ${report.summary}: proven by bundle.json only`);
    else problems.push(`${name}: ${report.summary}`);
    const manifest = archivedManifest.safeParse(document);
    if (!manifest.success) {
      problems.push(`${name}: not a manifest (its chunks cannot be checked)`);
      continue;
    }
    for (const chunk of manifest.data.chunks) {
      for (const [what, blob, sha256] of [
        ["chunk", chunk.blob, chunk.sha256],
        ["metadata document", chunk.metadataBlob, chunk.metadataSha256],
      ] as const) {
        const path = bundlePath(blob);
        const found = files.get(path);
        if (!found) problems.push(`${path}: ${what} ${chunk.index} of ${name} is missing from the bundle`);
        else if (found.sha256 !== sha256)
          problems.push(
            `${path}: ${what} ${chunk.index} differs from its manifest: SHA-256 ${short(found.sha256)}, ${name} records ${short(sha256)}`,
          );
      }
    }
  }
  verified.push(`${manifests} recordings' chunks and metadata documents checked against their manifests`);

  // The ledger slice and the checkpoint that covers it.
  const checkpoint = checkpointSchema.safeParse(parseJson(files.get(BUNDLE_CHECKPOINT)?.bytes));
  const slice = ledgerSliceSchema.safeParse(parseJson(files.get(BUNDLE_LEDGER_SLICE)?.bytes));
  if (!files.has(BUNDLE_CHECKPOINT)) problems.push(`${BUNDLE_CHECKPOINT} is missing: the ledger slice is not covered`);
  else if (!checkpoint.success) problems.push(`${BUNDLE_CHECKPOINT} is not a checkpoint (altered or damaged)`);
  if (!slice.success) problems.push(`${BUNDLE_LEDGER_SLICE} is missing or not a ledger slice`);
  if (checkpoint.success && slice.success && verifier) {
    const check = checkLedgerSlice(slice.data, checkpoint.data, verifier);
    problems.push(...check.problems);
    if (check.problems.length === 0)
      verified.push(
        `ledger checkpoint of seq ${checkpoint.data.seq} (${checkpoint.data.at}) signed by key ${checkpoint.data.keyId}, valid; ledger slice consistent with it`,
      );
    notes.push(...check.notes);
  }
  return result(trust);
}
