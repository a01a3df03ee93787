/**
 * Signed checkpoints of a chain head (pure; docs/evidence.md "Checkpoints"): the chain's name, the head's seq
 * and hash, when, and which key — signed with Ed25519 over the canonical form of everything but `signature`.
 */
import { z } from "zod";
import { canonicalBytes } from "./canonical.js";
import { SIGNATURE_ALGORITHM, type EvidenceSigner, type EvidenceVerifier } from "./keys.js";

export const checkpointSchema = z.object({
  checkpointVersion: z.literal(1),
  chain: z.enum(["ledger", "audit"]),
  seq: z.number().int().positive(),
  hash: z.string().regex(/^[0-9a-f]{64}$/),
  at: z.string(),
  algorithm: z.literal(SIGNATURE_ALGORITHM),
  keyId: z.string(),
  signature: z.string(),
});
export type Checkpoint = z.infer<typeof checkpointSchema>;

const signedPart = ({ signature: _signature, ...rest }: Checkpoint) => canonicalBytes(rest);

export function buildCheckpoint(
  chain: Checkpoint["chain"],
  head: { seq: number; hash: string },
  at: Date,
  signer: EvidenceSigner,
): Checkpoint {
  const unsigned: Checkpoint = {
    checkpointVersion: 1,
    chain,
    seq: head.seq,
    hash: head.hash,
    at: at.toISOString(),
    algorithm: SIGNATURE_ALGORITHM,
    keyId: signer.keyId,
    signature: "",
  };
  return { ...unsigned, signature: signer.sign(signedPart(unsigned)) };
}

/** What is wrong with a checkpoint, or undefined when it is signed by the trusted key and intact. */
export function checkpointProblem(
  checkpoint: Checkpoint,
  verifier: EvidenceVerifier,
  chain: Checkpoint["chain"],
): string | undefined {
  const of = `checkpoint of seq ${checkpoint.seq} (${checkpoint.at})`;
  if (checkpoint.chain !== chain) return `${of} is of the ${checkpoint.chain} chain, not ${chain}`;
  if (!verifier.keyIds.includes(checkpoint.keyId))
    return `${of} is signed by key ${checkpoint.keyId}, not ${verifier.describe}`;
  if (!verifier.verify(signedPart(checkpoint), checkpoint.signature, checkpoint.keyId))
    return `${of}: its signature does not verify with key ${checkpoint.keyId} (forged, or altered after signing)`;
  return undefined;
}

/** Checkpoint blob names sort by seq (12 digits). */
export const CHECKPOINT_AREA = "_evidence/checkpoints";
export const checkpointBlobName = (chain: string, seq: number) =>
  `${CHECKPOINT_AREA}/${chain}/${String(seq).padStart(12, "0")}.json`;
