/**
 * Signed manifests (pure; docs/evidence.md "Signed manifests"): the signature travels inside the manifest
 * document as `signature: { algorithm: "Ed25519", keyId, value }`, over the canonical form
 * (src/evidence/canonical.ts) of the whole document without `signature`. One blob to copy, one to read; the
 * blob's SHA-256 (recorded in the index when the manifest is written) still covers the signature too.
 */
import { canonicalBytes } from "../evidence/index.js";
import { SIGNATURE_ALGORITHM, type EvidenceSigner, type EvidenceVerifier } from "../evidence/index.js";

export interface ManifestSignature {
  algorithm: typeof SIGNATURE_ALGORITHM;
  keyId: string;
  /** Base64 of the 64-byte Ed25519 signature. */
  value: string;
}

/** What a reader learns of a manifest's signature; `summary` is the sentence the CLI, API and page show. */
export type ManifestSignatureReport =
  | { status: "intact"; keyId: string; summary: string }
  | { status: "unsigned"; summary: string }
  | { status: "invalid"; keyId: string | null; summary: string }
  | { status: "unchecked"; keyId: string; summary: string };

const signedBytes = (document: Record<string, unknown>) => {
  const { signature: _signature, ...content } = document;
  return canonicalBytes(content);
};

export function signManifest<M extends object>(
  manifest: M,
  signer: EvidenceSigner,
): M & { signature: ManifestSignature } {
  if ("signature" in manifest) throw new TypeError("the manifest is signed already");
  const value = signer.sign(signedBytes(manifest as Record<string, unknown>));
  return { ...manifest, signature: { algorithm: SIGNATURE_ALGORITHM, keyId: signer.keyId, value } };
}

/**
 * The signature of a manifest document as read back (parsed JSON), checked with the trusted key. A manifest
 * without one was written before signing existed: reported as such, not as a failure (its blob hash is still
 * checked against the index, so a signature cut off a signed manifest shows there).
 */
export function manifestSignatureReport(
  document: unknown,
  verifier: EvidenceVerifier | undefined,
): ManifestSignatureReport {
  if (typeof document !== "object" || document === null || Array.isArray(document))
    return { status: "invalid", keyId: null, summary: "not a manifest document: nothing to check a signature of" };
  const record = document as Record<string, unknown>;
  const signature = record.signature;
  if (signature === undefined) return { status: "unsigned", summary: "unsigned (written before signing)" };
  if (
    typeof signature !== "object" ||
    signature === null ||
    !("keyId" in signature) ||
    !("value" in signature) ||
    typeof signature.keyId !== "string" ||
    typeof signature.value !== "string"
  )
    return { status: "invalid", keyId: null, summary: "the manifest's signature field is malformed" };
  const { keyId, value } = signature;
  const algorithm = "algorithm" in signature ? signature.algorithm : undefined;
  if (algorithm !== SIGNATURE_ALGORITHM)
    return { status: "invalid", keyId, summary: `signed with ${String(algorithm)}, not ${SIGNATURE_ALGORITHM}` };
  if (!verifier) return { status: "unchecked", keyId, summary: `signed by key ${keyId}, not checked (no trusted key)` };
  if (!verifier.keyIds.includes(keyId))
    return { status: "invalid", keyId, summary: `signed by key ${keyId}, not ${verifier.describe}` };
  let bytes: Buffer;
  try {
    bytes = signedBytes(record);
  } catch (error) {
    return {
      status: "invalid",
      keyId,
      summary: `the manifest cannot be put in canonical form: ${(error as Error).message}`,
    };
  }
  if (!verifier.verify(bytes, value, keyId))
    return {
      status: "invalid",
      keyId,
      summary: `signed by key ${keyId}, NOT intact: the signature does not match the manifest's content (altered after signing, or forged)`,
    };
  return { status: "intact", keyId, summary: `signed by key ${keyId}, intact` };
}
