/**
 * Bring your own storage (docs/byos.md): ACS writes a recording straight into a team's own Blob container, and we
 * seal it where it lies. The pure parts decide (which way a recording goes, which blobs are its chunk); the
 * adapters find, read once, label and resolve blobs in the customer's container.
 *
 * A blob in place is named in a manifest by its absolute URL (a downloaded chunk by its name in the archive
 * container): the manifest, the listing and every export's chain of custody therefore say where the bytes are.
 */
import { createHash } from "node:crypto";
import { BlobClient, ContainerClient, StorageSharedKeyCredential } from "@azure/storage-blob";
import { CONTENT_TYPES, sniffMedia, type MediaKind } from "./blocks.js";
import { IngestRefused, IngestVerificationFailed } from "./ingest.js";

/** How a recording's bytes reach the archive. */
export type StorageRoute =
  | { kind: "in-place"; containerUrl: string }
  | {
      kind: "download";
      alert?: "customer-write-failed" | "customer-storage-unexpected" | "customer-storage-at-risk";
    };

/**
 * Pure. `expected`: the container our start request named (the decision's plan), if any. `storageType`: what the
 * RecordingFileStatusUpdated says (`AzureBlob` on the BYOS quickstart; `acsstorage` for ACS's own storage).
 * Microsoft documents no field that marks a failed export, only that its notification "includes the download url":
 * a recording we asked to be written to a customer container whose notification does not say `AzureBlob` is taken
 * as failed (unconfirmed, docs/byos.md) and downloaded — as is one whose blobs are then not found (see the job).
 */
export function storageRoute(
  expected: string | undefined,
  storageType: string | undefined,
  deadline: "ok" | "at-risk" | "lost" = "ok",
): StorageRoute {
  const inBlob = (storageType ?? "").toLowerCase() === "azureblob";
  // Near ACS's expiry (earlier attempts in place kept failing), its own copy is taken while it is still there; past
  // it, the customer's container is the only place left.
  if (expected && inBlob && deadline === "at-risk") return { kind: "download", alert: "customer-storage-at-risk" };
  if (expected && inBlob) return { kind: "in-place", containerUrl: expected };
  if (expected) return { kind: "download", alert: "customer-write-failed" };
  // Written to a container we did not ask for (another app's start, or a plan we no longer know): ACS keeps its own
  // copy for 48 h (BYOS overview, known issues), so the download path archives it.
  if (inBlob) return { kind: "download", alert: "customer-storage-unexpected" };
  return { kind: "download" };
}

/** Where a container URL points: account URL, container name, and the path below it (a "location within a container"). */
export function parseContainerUrl(text: string): { account: string; container: string; prefix: string } {
  const url = new URL(text);
  const segments = url.pathname.split("/").filter(Boolean);
  const pathStyle = ["127.0.0.1", "localhost", "[::1]"].includes(url.hostname) ? 1 : 0; // emulator: /<account>/<container>
  const container = segments[pathStyle] ?? "";
  const rest = segments.slice(pathStyle + 1).join("/");
  const account = `${url.origin}/${segments.slice(0, pathStyle).join("/")}`.replace(/\/$/, "");
  return { account, container, prefix: rest ? `${rest}/` : "" };
}

/** `YYYYMMDD` of every UTC day from the recording's start to the event (ACS's folder date is not documented). */
export function candidateDays(recordingStartTime: string, eventTime: string | undefined): string[] {
  const start = Date.parse(recordingStartTime);
  if (!Number.isFinite(start)) return [];
  const eventAt = eventTime ? Date.parse(eventTime) : NaN;
  const end = Number.isFinite(eventAt) ? Math.min(Math.max(start, eventAt), start + 2 * 86_400_000) : start;
  const day = (t: number) => new Date(t).toISOString().slice(0, 10).replaceAll("-", "");
  const days = [day(start)];
  for (let t = start + 86_400_000; day(t) <= day(end); t += 86_400_000) days.push(day(t));
  if (!days.includes(day(end))) days.push(day(end));
  return days;
}

export interface CustomerChunkBlobs {
  /** Every content blob found for the chunk, in name order: ACS sometimes writes a recording twice (known issue). */
  content: string[];
  metadata: string[];
}

/**
 * Pure: which of the listed names are this chunk's, by Microsoft's documented layout
 * `<YYYYMMDD>/<callId>/<first 8 of recordingId>-<guid>/<chunk>-<kind>.<documentId>.<ext>` and
 * `…/<chunk>-acsmetadata.<documentId>.json` (BYOS quickstart, "Folder Structure for Call Recording"). The
 * documentId in the name is what ties a blob to the chunk; the recordingId's first 8 characters narrow the folder
 * when the recordingId is known.
 */
export function matchChunkBlobs(
  names: readonly string[],
  chunk: { index: number; documentId: string; recordingId: string | undefined },
): CustomerChunkBlobs {
  const folderOk = (name: string) => {
    const folder = name.split("/").at(-2) ?? "";
    return !chunk.recordingId || folder.startsWith(`${chunk.recordingId.slice(0, 8)}-`);
  };
  const file = (name: string) => name.split("/").at(-1) ?? "";
  const metadataName = `${chunk.index}-acsmetadata.${chunk.documentId}.json`;
  const contentPattern = new RegExp(
    `^${chunk.index}-audio[a-z0-9]*\\.${escape(chunk.documentId)}\\.(wav|mp3|mp4)$|^${chunk.index}-video[a-z0-9]*\\.${escape(chunk.documentId)}\\.mp4$`,
  );
  const mine = names.filter(folderOk);
  return {
    content: mine.filter((n) => contentPattern.test(file(n))).sort(),
    metadata: mine.filter((n) => file(n) === metadataName).sort(),
  };
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** Lists the chunk's blobs in the customer's container, under each candidate day's `<day>/<callId>/` folder. */
export async function findChunkBlobs(
  container: ContainerClient,
  input: {
    prefix: string;
    callId: string;
    days: readonly string[];
    chunk: { index: number; documentId: string; recordingId: string | undefined };
  },
): Promise<CustomerChunkBlobs> {
  const names: string[] = [];
  for (const day of input.days)
    for await (const blob of container.listBlobsFlat({ prefix: `${input.prefix}${day}/${input.callId}/` }))
      names.push(blob.name);
  return matchChunkBlobs(names, input.chunk);
}

/** A blob sealed where it lies: what was read, and the version (ETag) it was read at. */
export interface SealedInPlace {
  /** Its absolute URL: how manifests name a blob outside the archive container. */
  url: string;
  name: string;
  sizeBytes: number;
  sha256: string;
  contentType: string;
  etag: string;
  media?: MediaKind;
  document?: unknown;
}

const READ_HEAD_BYTES = 12;

/**
 * Reads a chunk's content blob once, start to end: SHA-256 and size computed on the way, the first bytes checked
 * to be the recording format its name and the plan say (a WAV named `.wav`, …), the size checked against the
 * blob's own Content-Length. Then labels it (metadata and index tags, as a downloaded chunk is), on condition
 * that it is still the version read (If-Match: its ETag): a blob changed meanwhile fails the job, and the retry
 * reads it again. Never more than one download piece in memory.
 */
export async function sealContentInPlace(
  blob: BlobClient,
  labels: { metadata: Record<string, string>; tags: Record<string, string> },
  expectedFormat: string | undefined,
): Promise<SealedInPlace> {
  const download = await blob.download(0);
  const etag = download.etag;
  if (!etag) throw new IngestVerificationFailed(`${blob.name}: no ETag`);
  const declared = download.contentLength ?? -1;
  const hash = createHash("sha256");
  let size = 0;
  let head = Buffer.alloc(0);
  for await (const piece of download.readableStreamBody as AsyncIterable<Buffer>) {
    if (head.length < READ_HEAD_BYTES) head = Buffer.concat([head, piece.subarray(0, READ_HEAD_BYTES - head.length)]);
    hash.update(piece);
    size += piece.length;
  }
  if (size === 0) throw new IngestRefused(`${blob.name}: empty`);
  if (size !== declared) throw new IngestVerificationFailed(`${blob.name}: read ${size} bytes of ${declared}`);
  const media = sniffMedia(head);
  const extension = blob.name.split(".").at(-1);
  if (!media) throw new IngestRefused(`${blob.name}: not a recording (${head.toString("hex")})`);
  if (media !== extension || (expectedFormat && media !== expectedFormat.toLowerCase()))
    throw new IngestRefused(`${blob.name}: holds ${media}, named .${extension}, planned ${expectedFormat ?? "?"}`);
  const sha256 = hash.digest("hex");
  await label(blob, etag, labels, sha256, size);
  return { url: blob.url, name: blob.name, sizeBytes: size, sha256, contentType: CONTENT_TYPES[media], etag, media };
}

/** A metadata document as read once, whole (small), at the version (ETag) read. */
export interface DocumentRead {
  bytes: Buffer;
  etag: string;
}

export async function readDocumentInPlace(blob: BlobClient): Promise<DocumentRead> {
  const download = await blob.download(0);
  if (!download.etag) throw new IngestVerificationFailed(`${blob.name}: no ETag`);
  const parts: Buffer[] = [];
  for await (const piece of download.readableStreamBody as AsyncIterable<Buffer>) parts.push(piece);
  return { bytes: Buffer.concat(parts), etag: download.etag };
}

/** The metadata document read above: a JSON object, hashed, labelled like the content (If-Match the version read). */
export async function sealDocumentInPlace(
  blob: BlobClient,
  read: DocumentRead,
  labels: { metadata: Record<string, string>; tags: Record<string, string> },
): Promise<SealedInPlace & { document: unknown }> {
  let document: unknown;
  try {
    document = JSON.parse(read.bytes.toString("utf8"));
  } catch {
    throw new IngestRefused(`${blob.name}: metadata document is not JSON`);
  }
  if (typeof document !== "object" || document === null || Array.isArray(document))
    throw new IngestRefused(`${blob.name}: metadata document is not a JSON object`);
  const sha256 = createHash("sha256").update(read.bytes).digest("hex");
  await label(blob, read.etag, labels, sha256, read.bytes.length);
  const sizeBytes = read.bytes.length;
  return {
    url: blob.url,
    name: blob.name,
    sizeBytes,
    sha256,
    contentType: "application/json",
    etag: read.etag,
    document,
  };
}

async function label(
  blob: BlobClient,
  etag: string,
  labels: { metadata: Record<string, string>; tags: Record<string, string> },
  sha256: string,
  size: number,
): Promise<void> {
  const conditions = { ifMatch: etag };
  const current = await blob.getProperties({ conditions });
  // Already sealed by an earlier attempt with the same bytes: leave it (its ETag moved when it was labelled).
  if (current.metadata?.sha256 === sha256) return;
  if (current.metadata?.sha256) throw new IngestVerificationFailed(`${blob.name}: sealed before with another hash`);
  await blob.setMetadata({ ...current.metadata, ...labels.metadata, sha256, sizebytes: String(size) }, { conditions });
  await blob.setTags({ ...labels.tags, sha256 });
}

/**
 * A client for a blob named in a manifest: a name in the archive container, or (sealed in place) the absolute
 * URL of a blob in a customer's container, reached with the archive's own credential. Only storage accounts are
 * ever sent that credential: the archive's own account, or an Azure Blob endpoint over https.
 */
export function blobAt(container: ContainerClient, ref: string): BlobClient {
  if (!/^https?:\/\//i.test(ref)) return container.getBlobClient(ref);
  const target = new URL(ref);
  const own = parseContainerUrl(container.url).account;
  const theirs = parseContainerUrl(ref).account;
  const azure = target.protocol === "https:" && target.hostname.toLowerCase().endsWith(".blob.core.windows.net");
  if (theirs !== own && !azure) throw new IngestVerificationFailed(`${ref}: not a storage account we may read`);
  if (theirs !== own && container.credential instanceof StorageSharedKeyCredential)
    throw new IngestVerificationFailed(
      `${ref}: another storage account; reading it needs Microsoft Entra (BLOB_ACCOUNT_URL), not an account key`,
    );
  return new BlobClient(ref, container.credential);
}

/** The customer container a plan names, reached with the archive's credential (same rules as blobAt). */
export function customerContainer(archive: ContainerClient, containerUrl: string): ContainerClient {
  const { account, container } = parseContainerUrl(containerUrl);
  const probe = blobAt(archive, `${account}/${container}/x`);
  return new ContainerClient(`${account}/${container}`, probe.credential);
}

/** Whether a manifest's blob reference is a blob sealed in place (an absolute URL) rather than an archive name. */
export const isInPlace = (ref: string) => /^https?:\/\//i.test(ref);
