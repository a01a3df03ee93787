/**
 * The imperative shell of the evidence chains (docs/evidence.md): signed checkpoints written to immutable
 * blobs in the archive container, and `verify`, which walks a chain from Redis or from its durable Blob copy.
 */
import type { ContainerClient } from "@azure/storage-blob";
import type { RetentionPort } from "../archive/index.js";
import {
  ChainWalker,
  entryHash,
  inSeqOrder,
  type ChainName,
  type ChainProblem,
  type ChainVerification,
} from "./chain.js";
import type { ChainLog } from "./chain-log.js";
import {
  buildCheckpoint,
  checkpointBlobName,
  checkpointProblem,
  checkpointSchema,
  CHECKPOINT_AREA,
  type Checkpoint,
} from "./checkpoint.js";
import { verifierOf, type EvidenceSigner, type EvidenceVerifier } from "./keys.js";

export interface CheckpointStores {
  /** The archive container (BLOB_CONTAINER): checkpoints live beside the recordings, under `_evidence/`. */
  container: ContainerClient;
  /** The archive's immutability port: a checkpoint is protected like an archived blob. */
  retention: RetentionPort;
  signer: EvidenceSigner;
  /** How long a checkpoint blob is kept immutable (EVIDENCE_RETENTION_DAYS). */
  retentionDays: number;
  now?: () => Date;
}

export type CheckpointOutcome =
  | {
      written: true;
      blob: string;
      checkpoint: Checkpoint;
      /** Whether the entries since the previous checkpoint were checked to link up before signing. */
      checkedSince: number | "not checked: Redis no longer holds them";
    }
  | { written: false; reason: "empty" | "already covered"; blob?: string; checkpoint?: Checkpoint }
  | { written: false; reason: "chain broken"; problem: ChainProblem };

const seqField = (entry: unknown) =>
  typeof entry === "object" && entry !== null && "seq" in entry && typeof entry.seq === "number"
    ? entry.seq
    : Number.NaN;

const statusOf = (error: unknown) =>
  typeof error === "object" && error !== null && "statusCode" in error ? Number(error.statusCode) : undefined;

/** The newest checkpoint of a chain (highest seq), or undefined when there is none. */
export async function latestCheckpoint(
  container: ContainerClient,
  chain: ChainName,
): Promise<{ blob: string; checkpoint: Checkpoint } | undefined> {
  let newest: string | undefined;
  try {
    for await (const blob of container.listBlobsFlat({ prefix: `${CHECKPOINT_AREA}/${chain}/` }))
      if (!newest || blob.name > newest) newest = blob.name;
  } catch (error) {
    if (statusOf(error) === 404) return undefined;
    throw error;
  }
  if (!newest) return undefined;
  const bytes = await container.getBlobClient(newest).downloadToBuffer();
  const parsed = checkpointSchema.safeParse(JSON.parse(bytes.toString("utf8")));
  if (!parsed.success) throw new Error(`${newest} is not a checkpoint: ${parsed.error.message}`);
  return { blob: newest, checkpoint: parsed.data };
}

/**
 * Signs the chain's head and writes it to `_evidence/checkpoints/<chain>/<seq>.json` (If-None-Match: a
 * checkpoint is never replaced), then protects the blob for EVIDENCE_RETENTION_DAYS. Nothing is written when
 * the chain is empty, the newest checkpoint already covers its head, or the entries since that checkpoint do
 * not link up to it (`chain broken`, with the first bad entry: the caller alerts).
 */
export async function writeCheckpoint(
  stores: CheckpointStores,
  chain: ChainName,
  log: Pick<ChainLog, "head" | "entriesAfter">,
): Promise<CheckpointOutcome> {
  const now = stores.now ?? (() => new Date());
  const head = await log.head();
  if (!head) return { written: false, reason: "empty" };
  const blob = checkpointBlobName(chain, head.seq);
  const latest = await latestCheckpoint(stores.container, chain);
  const verifier = verifierOf(stores.signer);
  // The previous checkpoint is the base only if it is genuinely ours; one of an earlier key (rotation) is not
  // a base, so the whole chain is walked once; a forged one stops checkpointing, loudly.
  const ours = latest?.checkpoint.keyId === stores.signer.keyId ? latest : undefined;
  const forged = ours && checkpointProblem(ours.checkpoint, verifier, chain);
  if (ours && forged)
    return { written: false, reason: "chain broken", problem: { seq: ours.checkpoint.seq, message: forged } };
  if (latest && latest.checkpoint.seq >= head.seq)
    return { written: false, reason: "already covered", blob: latest.blob, checkpoint: latest.checkpoint };
  // Never seal a chain that does not link up: the entries since the previous checkpoint are walked first.
  const after = ours ? { seq: ours.checkpoint.seq, hash: ours.checkpoint.hash } : undefined;
  const since = await log.entriesAfter(after?.seq ?? 0);
  if (since) {
    // Entries appended since the head was read are left for the next checkpoint.
    const upToHead = since.filter((entry) => seqField(entry) <= head.seq);
    const walker = new ChainWalker(chain, undefined, verifier, "Redis", after);
    for (const entry of upToHead) if (!walker.push(entry)) break;
    const walked = walker.finish();
    if (walked.problem) return { written: false, reason: "chain broken", problem: walked.problem };
    const last = upToHead.at(-1);
    if (!last || seqField(last) !== head.seq || entryHash(last as object) !== head.hash)
      return {
        written: false,
        reason: "chain broken",
        problem: {
          seq: head.seq,
          message: `the head recorded in Redis (seq ${head.seq}) is not the entry stored there`,
        },
      };
  }
  const at = now();
  const checkpoint = buildCheckpoint(chain, head, at, stores.signer);
  const text = `${JSON.stringify(checkpoint, null, 2)}\n`;
  try {
    await stores.container.getBlockBlobClient(blob).upload(text, Buffer.byteLength(text), {
      blobHTTPHeaders: { blobContentType: "application/json" },
      conditions: { ifNoneMatch: "*" },
    });
  } catch (error) {
    // Another process checkpointed the same head first: that one stands.
    if (statusOf(error) !== 409 && statusOf(error) !== 412) throw error;
    const existing = await latestCheckpoint(stores.container, chain);
    return {
      written: false,
      reason: "already covered",
      blob,
      ...(existing ? { checkpoint: existing.checkpoint } : {}),
    };
  }
  await stores.retention.protect(blob, {
    until: new Date(at.getTime() + stores.retentionDays * 86_400_000),
    legalHold: false,
  });
  return {
    written: true,
    blob,
    checkpoint,
    checkedSince: since ? (after?.seq ?? 0) : "not checked: Redis no longer holds them",
  };
}

/**
 * Checkpoints both chains (what the scheduled job every EVIDENCE_CHECKPOINT_SECONDS and every export run). A
 * failure of one chain does not stop the other; it is returned, for the caller to log and alert.
 */
export async function checkpointChains(
  stores: CheckpointStores,
  logs: Record<ChainName, Pick<ChainLog, "head" | "entriesAfter">>,
): Promise<Record<ChainName, CheckpointOutcome | { written: false; reason: "failed"; error: unknown }>> {
  const one = (chain: ChainName) =>
    writeCheckpoint(stores, chain, logs[chain]).catch((error: unknown) => ({
      written: false as const,
      reason: "failed" as const,
      error,
    }));
  const [ledger, audit] = await Promise.all([one("ledger"), one("audit")]);
  return { ledger, audit };
}

export interface VerifySources {
  /** The archive container, where the checkpoints are. */
  container: ContainerClient;
  verifier: EvidenceVerifier;
  log: Pick<ChainLog, "entries" | "firstSeq">;
  /** The durable copy of the audit trail (AUDIT_CONTAINER), read when Redis's stream no longer starts at seq 1. */
  auditArchive?: ContainerClient;
}

/**
 * Walks a chain against its newest checkpoint. Redis holds the whole ledger chain; the audit stream is
 * capped, so once it no longer starts at seq 1 the audit chain is read from its Blob copy (docs/evidence.md).
 */
export async function verifyEvidenceChain(
  sources: VerifySources,
  chain: ChainName,
  source: "auto" | "redis" | "blob" = "auto",
): Promise<ChainVerification> {
  const latest = await latestCheckpoint(sources.container, chain);
  const fromBlob =
    source === "blob" || (source === "auto" && chain === "audit" && ((await sources.log.firstSeq()) ?? 1) > 1);
  if (fromBlob) {
    if (chain !== "audit" || !sources.auditArchive) throw new Error(`the ${chain} chain has no Blob copy`);
    const entries = await readAuditArchive(sources.auditArchive);
    const walker = new ChainWalker(
      chain,
      latest?.checkpoint,
      sources.verifier,
      `Blob container ${sources.auditArchive.containerName}`,
    );
    for (const entry of inSeqOrder(entries)) if (!walker.push(entry)) break;
    return walker.finish();
  }
  const walker = new ChainWalker(chain, latest?.checkpoint, sources.verifier, "Redis");
  for await (const entry of sources.log.entries()) if (!walker.push(entry)) break;
  return walker.finish();
}

/** Every entry of the Blob audit archive (src/audit/blob-archive.ts), in stored order. Held whole in memory. */
async function readAuditArchive(container: ContainerClient): Promise<unknown[]> {
  const names: string[] = [];
  for await (const blob of container.listBlobsFlat()) if (/\/part-\d+\.jsonl$/.test(blob.name)) names.push(blob.name);
  names.sort();
  const entries: unknown[] = [];
  for (const name of names) {
    const text = (await container.getBlobClient(name).downloadToBuffer()).toString("utf8");
    for (const line of text.split("\n")) if (line.trim() !== "") entries.push(JSON.parse(line) as unknown);
  }
  return entries;
}
