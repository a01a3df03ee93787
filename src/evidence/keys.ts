/**
 * The evidence signing key (docs/evidence.md "Keys"): Ed25519 (node:crypto). The private key comes from a PEM
 * file (EVIDENCE_SIGNING_KEY_FILE); without one, outside production, a development key is generated once into
 * the system's temporary directory and every process of the machine shares it — with a loud warning, since
 * anything signed with it proves nothing. The key id is the fingerprint of the public key: the SHA-256 of its
 * DER (SubjectPublicKeyInfo) encoding, hex.
 */
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign,
  verify,
  type KeyObject,
} from "node:crypto";
import { existsSync, linkSync, readFileSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const SIGNATURE_ALGORITHM = "Ed25519";

/** Signs evidence; what `writeCheckpoint` and the manifest writer are given. */
export interface EvidenceSigner {
  readonly keyId: string;
  /** The public key, PEM (SPKI): what `recorder evidence public-key` prints and docs/evidence.md tells to publish. */
  readonly publicKeyPem: string;
  sign(bytes: Buffer): string;
}

/**
 * Checks signatures with the trusted public keys: the current one first, then earlier ones still trusted for
 * what they signed before a rotation (docs/evidence.md "Keys").
 */
export interface EvidenceVerifier {
  /** The current key's id. */
  readonly keyId: string;
  readonly keyIds: readonly string[];
  /** "the trusted key K" or "one of the trusted keys K1, K2": for messages. */
  readonly describe: string;
  /** True when `keyId` (default: the current key) is trusted and the signature verifies with that key. */
  verify(bytes: Buffer, signatureBase64: string, keyId?: string): boolean;
}

export class EvidenceKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "EvidenceKeyError";
  }
}

/** The fingerprint of a public key: SHA-256 of its SPKI DER encoding, hex. */
export function keyIdOf(publicKey: KeyObject): string {
  return createHash("sha256")
    .update(publicKey.export({ type: "spki", format: "der" }))
    .digest("hex");
}

export function signerFromPrivateKeyPem(pem: string, source = "the key"): EvidenceSigner {
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(pem);
  } catch (error) {
    throw new EvidenceKeyError(`${source} is not a PEM private key: ${(error as Error).message}`);
  }
  if (privateKey.asymmetricKeyType !== "ed25519")
    throw new EvidenceKeyError(`${source} is a ${privateKey.asymmetricKeyType ?? "?"} key, not Ed25519`);
  const publicKey = createPublicKey(privateKey);
  return {
    keyId: keyIdOf(publicKey),
    publicKeyPem: publicKey.export({ type: "spki", format: "pem" }).toString(),
    sign: (bytes) => sign(null, bytes, privateKey).toString("base64"),
  };
}

const PEM_BLOCK = /-----BEGIN PUBLIC KEY-----[\s\S]*?-----END PUBLIC KEY-----/g;

/** One or more PEM public keys (a file may hold several, the current one first). */
export function verifierFromPublicKeyPem(pem: string, source = "the public key"): EvidenceVerifier {
  const blocks = pem.match(PEM_BLOCK) ?? [pem];
  const keys = new Map<string, KeyObject>();
  for (const block of blocks) {
    let publicKey: KeyObject;
    try {
      publicKey = createPublicKey(block);
    } catch (error) {
      throw new EvidenceKeyError(`${source} is not a PEM public key: ${(error as Error).message}`);
    }
    if (publicKey.asymmetricKeyType !== "ed25519")
      throw new EvidenceKeyError(`${source} is a ${publicKey.asymmetricKeyType ?? "?"} key, not Ed25519`);
    keys.set(keyIdOf(publicKey), publicKey);
  }
  const keyIds = [...keys.keys()];
  const current = keyIds[0]!;
  return {
    keyId: current,
    keyIds,
    describe: keyIds.length === 1 ? `the trusted key ${current}` : `one of the trusted keys ${keyIds.join(", ")}`,
    verify(bytes, signatureBase64, keyId = current) {
      const publicKey = keys.get(keyId);
      const signature = Buffer.from(signatureBase64, "base64");
      // Ed25519 signatures are 64 bytes; anything else is not one (and verify would throw on some inputs).
      return publicKey !== undefined && signature.length === 64 && verify(null, bytes, publicKey, signature);
    },
  };
}

export const verifierOf = (signer: EvidenceSigner) => verifierFromPublicKeyPem(signer.publicKeyPem);

/** A new Ed25519 private key, PEM (PKCS#8). */
export function generatePrivateKeyPem(): string {
  return generateKeyPairSync("ed25519").privateKey.export({ type: "pkcs8", format: "pem" }).toString();
}

/** Where the shared development key lives when no key file is configured. */
export const DEVELOPMENT_KEY_FILE = join(tmpdir(), "compliance-recorder-evidence-development-key.pem");

export interface SignerSettings {
  NODE_ENV: "development" | "test" | "production";
  EVIDENCE_SIGNING_KEY_FILE?: string | undefined;
  EVIDENCE_PUBLIC_KEY_FILE?: string | undefined;
}

/**
 * The trusted key of a process that only checks (the webhook): EVIDENCE_PUBLIC_KEY_FILE when set, so the
 * internet-facing process need not hold the private key; else the public half of the signing key.
 */
export function loadEvidenceVerifier(settings: SignerSettings, warn: (message: string) => void): EvidenceVerifier {
  const file = settings.EVIDENCE_PUBLIC_KEY_FILE;
  if (!file) return verifierOf(loadEvidenceSigner(settings, warn));
  let pem: string;
  try {
    pem = readFileSync(file, "utf8");
  } catch (error) {
    throw new EvidenceKeyError(`EVIDENCE_PUBLIC_KEY_FILE ${file}: ${(error as Error).message}`);
  }
  return verifierFromPublicKeyPem(pem, `EVIDENCE_PUBLIC_KEY_FILE ${file}`);
}

/**
 * The configured signer. Production requires a key file (the config check says so first); elsewhere the
 * development key, created on first use (`wx`: two processes starting together end up with the same key).
 */
export function loadEvidenceSigner(settings: SignerSettings, warn: (message: string) => void): EvidenceSigner {
  const file = settings.EVIDENCE_SIGNING_KEY_FILE;
  if (file) {
    let pem: string;
    try {
      pem = readFileSync(file, "utf8");
    } catch (error) {
      throw new EvidenceKeyError(`EVIDENCE_SIGNING_KEY_FILE ${file}: ${(error as Error).message}`);
    }
    return signerFromPrivateKeyPem(pem, `EVIDENCE_SIGNING_KEY_FILE ${file}`);
  }
  if (settings.NODE_ENV === "production")
    throw new EvidenceKeyError(
      "EVIDENCE_SIGNING_KEY_FILE is required when NODE_ENV=production (or EVIDENCE_PUBLIC_KEY_FILE where only checking)",
    );
  if (!existsSync(DEVELOPMENT_KEY_FILE)) {
    // Written whole under a name of its own, then linked into place: a process starting at the same moment
    // sees either no key or the whole key, and the first link wins.
    const draft = `${DEVELOPMENT_KEY_FILE}.${process.pid}.${Date.now()}`;
    writeFileSync(draft, generatePrivateKeyPem(), { flag: "wx", mode: 0o600 });
    try {
      linkSync(draft, DEVELOPMENT_KEY_FILE);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    } finally {
      unlinkSync(draft);
    }
  }
  const signer = signerFromPrivateKeyPem(readFileSync(DEVELOPMENT_KEY_FILE, "utf8"), DEVELOPMENT_KEY_FILE);
  warn(
    `EVIDENCE SIGNING KEY IS A DEVELOPMENT KEY (${DEVELOPMENT_KEY_FILE}, key id ${signer.keyId}): ` +
      "checkpoints and manifests signed with it prove nothing. Set EVIDENCE_SIGNING_KEY_FILE (docs/evidence.md).",
  );
  return signer;
}
