/**
 * The signed records of an evidence bundle (pure; docs/evidence.md "Bundles"): `bundle.json` (every other file
 * with its size and SHA-256, signed like a manifest), the seal in the zip's comment (the structure hash of
 * zip-tiling.ts and bundle.json's hash, signed), and the ledger slice's check against the checkpoint.
 */
import { z } from "zod";
import {
  canonicalBytes,
  canonicalJson,
  canonicalSha256,
  checkpointProblem,
  SIGNATURE_ALGORITHM,
  type Checkpoint,
  type EvidenceSigner,
  type EvidenceVerifier,
} from "../evidence/index.js";
import { SEAL_PREFIX } from "./zip-tiling.js";

export const BUNDLE_INDEX = "bundle.json";
export const BUNDLE_PUBLIC_KEY = "evidence/public-key.pem";
export const BUNDLE_CHECKPOINT = "evidence/ledger-checkpoint.json";
export const BUNDLE_LEDGER_SLICE = "evidence/ledger-slice.json";
export const BUNDLE_CUSTODY = "chain-of-custody.json";

const signatureShape = z.object({ algorithm: z.literal(SIGNATURE_ALGORITHM), keyId: z.string(), value: z.string() });

export const bundleIndexSchema = z.object({
  bundleVersion: z.literal(1),
  exportId: z.string(),
  createdAt: z.string(),
  files: z.array(z.object({ path: z.string(), sizeBytes: z.number().int().nonnegative(), sha256: z.string() })),
  signature: signatureShape,
});
export type BundleIndex = z.infer<typeof bundleIndexSchema>;
export type BundleFile = BundleIndex["files"][number];

const withoutSignature = <T extends { signature: unknown }>({ signature: _signature, ...rest }: T) => rest;

/** bundle.json's bytes: pretty JSON to be read by people; the signature covers its canonical form. */
export function buildBundleIndex(
  content: Omit<BundleIndex, "signature" | "bundleVersion">,
  signer: EvidenceSigner,
): Buffer {
  const unsigned = { bundleVersion: 1 as const, ...content };
  const signature = {
    algorithm: SIGNATURE_ALGORITHM,
    keyId: signer.keyId,
    value: signer.sign(canonicalBytes(unsigned)),
  };
  return Buffer.from(`${JSON.stringify({ ...unsigned, signature }, null, 2)}\n`);
}

/** The signature of a bundle.json read back, or what is wrong with it. */
export function bundleIndexProblem(index: BundleIndex, verifier: EvidenceVerifier): string | undefined {
  const { keyId, value } = index.signature;
  if (!verifier.keyIds.includes(keyId)) return `bundle.json is signed by key ${keyId}, not ${verifier.describe}`;
  if (!verifier.verify(canonicalBytes(withoutSignature(index)), value, keyId))
    return `bundle.json's signature does not verify with key ${keyId}: its content was altered after signing, or forged`;
  return undefined;
}

export const sealSchema = z.object({
  sealVersion: z.literal(1),
  structureSha256: z.string(),
  bundleJsonSha256: z.string(),
  algorithm: z.literal(SIGNATURE_ALGORITHM),
  keyId: z.string(),
  signature: z.string(),
});
export type Seal = z.infer<typeof sealSchema>;

export function buildSeal(structureSha256: string, bundleJsonSha256: string, signer: EvidenceSigner): Buffer {
  const unsigned = {
    sealVersion: 1 as const,
    structureSha256,
    bundleJsonSha256,
    algorithm: SIGNATURE_ALGORITHM,
    keyId: signer.keyId,
  };
  return Buffer.from(
    `${SEAL_PREFIX}${canonicalJson({ ...unsigned, signature: signer.sign(canonicalBytes(unsigned)) })}`,
  );
}

/** The seal read from a zip comment, or why it is not one. */
export function parseSeal(comment: Buffer): Seal | string {
  const text = comment.toString("utf8");
  if (!text.startsWith(SEAL_PREFIX))
    return "the zip's comment is not a bundle seal (not a bundle, or the seal was altered)";
  try {
    const parsed = sealSchema.safeParse(JSON.parse(text.slice(SEAL_PREFIX.length)));
    const issue = parsed.success ? undefined : parsed.error.issues[0];
    return parsed.success
      ? parsed.data
      : `the bundle seal (the zip's comment) was altered: ${issue?.path.join(".") || "its content"}: ${issue?.message ?? "malformed"}`;
  } catch {
    return "the bundle seal is not JSON (altered)";
  }
}

export function sealProblem(seal: Seal, verifier: EvidenceVerifier): string | undefined {
  const { signature, ...unsigned } = seal;
  if (!verifier.keyIds.includes(seal.keyId))
    return `the bundle seal is signed by key ${seal.keyId}, not ${verifier.describe}`;
  if (!verifier.verify(canonicalBytes(unsigned), signature, seal.keyId))
    return `the bundle seal's signature does not verify with key ${seal.keyId} (altered or forged)`;
  return undefined;
}

export const ledgerSliceSchema = z.object({
  chain: z.literal("ledger"),
  /** The checkpoint it is read up to: entries after it are not covered, so not included. */
  checkpointSeq: z.number().int().nonnegative(),
  serverCallIds: z.array(z.string()),
  recordingIds: z.array(z.string()),
  entries: z.array(z.record(z.string(), z.unknown())),
});
export type LedgerSlice = z.infer<typeof ledgerSliceSchema>;

/** Whether a ledger chain entry (docs/evidence.md "Chains") is about one of the exported calls or recordings. */
export function inLedgerSlice(entry: unknown, serverCallIds: ReadonlySet<string>, recordingIds: ReadonlySet<string>) {
  if (typeof entry !== "object" || entry === null) return false;
  const record = entry as Record<string, unknown>;
  return (
    (typeof record.serverCallId === "string" && serverCallIds.has(record.serverCallId)) ||
    (typeof record.recordingId === "string" && recordingIds.has(record.recordingId))
  );
}

export interface SliceCheck {
  problems: string[];
  /** What the check establishes, and what it cannot. */
  notes: string[];
}

const short = (hash: string) => `${hash.slice(0, 12)}…`;

/**
 * The ledger slice against the checkpoint, as far as a slice can be checked without the rest of the chain: the
 * checkpoint's signature; every entry is chained (seq, prev) and covered (seq ≤ the checkpoint's); entries with
 * consecutive seq link (the later's prev is the earlier's hash); the entry at the checkpoint's seq, if in the
 * slice, hashes to what the checkpoint signed. That the entries between are what the chain holds is proven only
 * by `recorder ledger verify` against the archive.
 */
export function checkLedgerSlice(slice: LedgerSlice, checkpoint: Checkpoint, verifier: EvidenceVerifier): SliceCheck {
  const problems: string[] = [];
  const wrong = checkpointProblem(checkpoint, verifier, "ledger");
  if (wrong) problems.push(wrong);
  if (slice.checkpointSeq !== checkpoint.seq)
    problems.push(
      `the ledger slice says it is read up to seq ${slice.checkpointSeq}, the checkpoint covers seq ${checkpoint.seq}`,
    );
  let previous: { seq: number; hash: string } | undefined;
  let linked = 0;
  for (const [position, entry] of slice.entries.entries()) {
    const seq = entry.seq;
    if (typeof seq !== "number" || !Number.isSafeInteger(seq) || seq < 1 || typeof entry.prev !== "string") {
      problems.push(`ledger slice entry ${position + 1} has no valid seq and prev`);
      continue;
    }
    if (seq > checkpoint.seq) problems.push(`ledger slice seq ${seq} is after the checkpoint's seq ${checkpoint.seq}`);
    if (previous && seq <= previous.seq)
      problems.push(`ledger slice seq ${seq} follows seq ${previous.seq}: out of order or repeated`);
    const hash = canonicalSha256(entry);
    if (previous && seq === previous.seq + 1) {
      linked++;
      if (entry.prev !== previous.hash)
        problems.push(
          `ledger slice seq ${previous.seq} was altered, or seq ${seq} is not its successor: seq ${previous.seq} hashes to ${short(previous.hash)}, seq ${seq} records ${short(entry.prev)}`,
        );
    }
    if (seq === checkpoint.seq && hash !== checkpoint.hash)
      problems.push(
        `ledger slice seq ${seq} was altered: it hashes to ${short(hash)}, the checkpoint signed ${short(checkpoint.hash)}`,
      );
    previous = { seq, hash };
  }
  const notes = [
    `${slice.entries.length} ledger entries of ${slice.serverCallIds.length} calls, all at or before the checkpoint's seq ${checkpoint.seq}; ${linked} consecutive pairs link`,
    "entries between the slice's entries are not in the bundle: that the slice is part of the checkpointed chain is proven by `recorder ledger verify` against the archive, not by the bundle alone",
  ];
  return { problems, notes };
}
