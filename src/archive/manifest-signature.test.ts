import { describe, expect, it } from "vitest";
import { sampleManifest } from "../retrieval/test-fixtures.js";
import {
  generatePrivateKeyPem,
  signerFromPrivateKeyPem,
  verifierFromPublicKeyPem,
  verifierOf,
} from "../evidence/index.js";
import { manifestSignatureReport, signManifest } from "./manifest-signature.js";

const signer = signerFromPrivateKeyPem(generatePrivateKeyPem());
const stranger = signerFromPrivateKeyPem(generatePrivateKeyPem());
const verifier = verifierOf(signer);
/** As read back: the JSON written, parsed again (member order may differ; the canonical form does not). */
const readBack = (document: object) => JSON.parse(JSON.stringify(document)) as Record<string, unknown>;
const signed = () => readBack(signManifest(sampleManifest(), signer));

describe("signed manifests", () => {
  it("a signed manifest read back is signed by key K, intact", () => {
    expect(manifestSignatureReport(signed(), verifier)).toEqual({
      status: "intact",
      keyId: signer.keyId,
      summary: `signed by key ${signer.keyId}, intact`,
    });
    expect(signed().signature).toMatchObject({ algorithm: "Ed25519", keyId: signer.keyId });
  });

  it("a manifest without a signature was written before signing: said so, not a failure", () => {
    expect(manifestSignatureReport(readBack(sampleManifest()), verifier)).toEqual({
      status: "unsigned",
      summary: "unsigned (written before signing)",
    });
  });

  it.each<[string, (document: Record<string, unknown>) => unknown, RegExp]>([
    [
      "a field altered after signing",
      (d) => ({ ...d, totalBytes: 1 }),
      /NOT intact: the signature does not match the manifest's content/,
    ],
    [
      "a chunk's hash replaced",
      (d) => ({ ...d, chunks: (d.chunks as object[]).map((c) => ({ ...c, sha256: "0".repeat(64) })) }),
      /NOT intact/,
    ],
    [
      "the signature value forged",
      (d) => ({ ...d, signature: { ...(d.signature as object), value: Buffer.alloc(64, 7).toString("base64") } }),
      /NOT intact/,
    ],
    [
      "re-signed with another key",
      (d) => readBack(signManifest(readBack({ ...d, signature: undefined }), stranger)),
      new RegExp(`signed by key ${stranger.keyId}, not the trusted key ${signer.keyId}`),
    ],
    [
      "another key's signature claiming the trusted key id",
      (d) => {
        const other = readBack(signManifest(readBack({ ...d, signature: undefined }), stranger));
        return { ...other, signature: { ...(other.signature as object), keyId: signer.keyId } };
      },
      /NOT intact/,
    ],
    ["a malformed signature", (d) => ({ ...d, signature: "yes" }), /malformed/],
    ["another algorithm", (d) => ({ ...d, signature: { ...(d.signature as object), algorithm: "RS256" } }), /RS256/],
  ])("%s: reported as what does not match", (_name, tamper, summary) => {
    const report = manifestSignatureReport(tamper(signed()), verifier);
    expect(report.status).toBe("invalid");
    expect(report.summary).toMatch(summary);
  });

  it("after a rotation, a manifest signed by an earlier key still trusted is intact; an untrusted one is not", () => {
    const rotated = verifierFromPublicKeyPem(`${stranger.publicKeyPem}${signer.publicKeyPem}`);
    expect(manifestSignatureReport(signed(), rotated)).toMatchObject({ status: "intact", keyId: signer.keyId });
    const third = signerFromPrivateKeyPem(generatePrivateKeyPem());
    expect(manifestSignatureReport(readBack(signManifest(sampleManifest(), third)), rotated).summary).toBe(
      `signed by key ${third.keyId}, not one of the trusted keys ${stranger.keyId}, ${signer.keyId}`,
    );
  });

  it("without a trusted key the signature is reported unchecked, never as intact", () => {
    expect(manifestSignatureReport(signed(), undefined)).toMatchObject({ status: "unchecked" });
  });

  it("refuses to sign twice", () => {
    expect(() => signManifest(signed(), signer)).toThrow(/signed already/);
  });
});
