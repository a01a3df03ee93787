import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { canonicalJson, canonicalSha256 } from "./canonical.js";
import { entryHash, GENESIS, inSeqOrder, linkEntry, verifyChain, type ChainHead } from "./chain.js";
import { buildCheckpoint, type Checkpoint } from "./checkpoint.js";
import {
  generatePrivateKeyPem,
  keyIdOf,
  loadEvidenceSigner,
  loadEvidenceVerifier,
  signerFromPrivateKeyPem,
  verifierFromPublicKeyPem,
  verifierOf,
} from "./keys.js";

const signer = signerFromPrivateKeyPem(generatePrivateKeyPem());
const otherSigner = signerFromPrivateKeyPem(generatePrivateKeyPem());
const verifier = verifierOf(signer);

type Entry = { action: string; at: string; seq: number; prev: string };

function chainOf(count: number): Entry[] {
  const entries: Entry[] = [];
  let head: ChainHead | undefined;
  for (let i = 1; i <= count; i++) {
    const entry = linkEntry({ action: `a${i}`, at: `2026-12-04T10:00:${String(i).padStart(2, "0")}Z` }, head);
    entries.push(entry);
    head = { seq: entry.seq, hash: entryHash(entry) };
  }
  return entries;
}
const checkpointAt = (entries: Entry[], seq: number, by = signer): Checkpoint =>
  buildCheckpoint("audit", { seq, hash: entryHash(entries[seq - 1]!) }, new Date("2026-12-04T11:00:00Z"), by);

describe("canonical JSON (RFC 8785 for our values)", () => {
  it.each([
    [{ b: 1, a: [true, null, "x"], c: { z: 1, y: undefined } }, '{"a":[true,null,"x"],"b":1,"c":{"z":1}}'],
    [{ é: 1, Z: 2, a: 3 }, '{"Z":2,"a":3,"é":1}'],
    [{ n: 1e21, m: 0.1, k: -0 }, '{"k":0,"m":0.1,"n":1e+21}'],
    ["line\nbreak \u2028", '"line\\nbreak \u2028"'],
    // toJSON as JSON.stringify honours it: a Date in an entry hashes as the ISO string stored for it.
    [{ from: new Date("2026-12-04T10:00:00Z") }, '{"from":"2026-12-04T10:00:00.000Z"}'],
  ])("%j → %s", (value, expected) => {
    expect(canonicalJson(value)).toBe(expected);
  });

  it("refuses what JSON cannot carry", () => {
    expect(() => canonicalJson({ n: Number.NaN })).toThrow(/not a JSON number/);
    expect(() => canonicalJson({ n: 1n })).toThrow(/bigint/);
  });

  it("hashes the same value the same whatever the member order", () => {
    expect(canonicalSha256({ a: 1, b: 2 })).toBe(canonicalSha256({ b: 2, a: 1 }));
  });
});

describe("chain linking", () => {
  it("numbers from 1 and links each entry to the hash of the one before", () => {
    const [first, second] = chainOf(2);
    expect(first).toMatchObject({ seq: 1, prev: GENESIS });
    expect(second).toMatchObject({ seq: 2, prev: entryHash(first!) });
  });
  it("refuses a body that already carries seq or prev", () => {
    expect(() => linkEntry({ seq: 3 }, undefined)).toThrow(/must not carry/);
  });
});

describe("verifying a chain against its checkpoint", () => {
  const entries = chainOf(8);
  const checkpoint = checkpointAt(entries, 6);

  it("an intact chain: 1…6 verified, 7…8 not yet covered", () => {
    const result = verifyChain("audit", entries, checkpoint, verifier);
    expect(result).toMatchObject({
      ok: true,
      entries: 8,
      verifiedThrough: 6,
      notYetCovered: { from: 7, to: 8, count: 2 },
      problem: null,
      checkpoint: { seq: 6, keyId: signer.keyId },
    });
  });

  it("without a checkpoint nothing is verified, everything is not yet covered", () => {
    expect(verifyChain("audit", entries, undefined, verifier)).toMatchObject({
      ok: true,
      verifiedThrough: 0,
      notYetCovered: { from: 1, to: 8, count: 8 },
    });
  });

  it("pre-chain entries ahead of seq 1 are counted, not verified", () => {
    expect(verifyChain("audit", [{ action: "old" }, ...entries], checkpoint, verifier)).toMatchObject({
      ok: true,
      unchained: 1,
    });
  });

  const tamper = (change: (copy: Entry[]) => unknown[]) =>
    verifyChain("audit", change(entries.map((e) => ({ ...e }))), checkpoint, verifier).problem;

  it.each<[string, (copy: Entry[]) => unknown[], number, RegExp]>([
    ["a field altered", (c) => ((c[2]!.action = "edited"), c), 3, /seq 3 was altered/],
    ["the checkpoint's own entry altered", (c) => ((c[5]!.at = "2027-01-01T00:00:00Z"), c), 6, /signed checkpoint/],
    ["an entry removed", (c) => (c.splice(3, 1), c), 4, /seq 4 is missing: seq 3 is followed by seq 5/],
    [
      "an entry removed, the rest renumbered",
      (c) => c.filter((_, i) => i !== 3).map((e, i) => ({ ...e, seq: i + 1 })),
      3,
      /seq 3 was altered, or the entry at seq 4 is not the one written there/,
    ],
    [
      "an entry inserted under an existing seq",
      (c) => [...c.slice(0, 4), { ...c[3]!, action: "extra" }, ...c.slice(4)],
      5,
      /seq 4 appears again where seq 5 should be/,
    ],
    [
      "an entry inserted and linked, the rest renumbered",
      (c) => {
        const inserted = linkEntry({ action: "extra", at: "x" }, { seq: 4, hash: entryHash(c[3]!) });
        return [...c.slice(0, 4), inserted, ...c.slice(4).map((e) => ({ ...e, seq: e.seq + 1 }))];
      },
      5,
      /seq 5 was altered, or the entry at seq 6 is not the one written there/,
    ],
    ["an entry without seq inserted", (c) => [...c.slice(0, 2), { action: "x" }, ...c.slice(2)], 3, /inserted/],
    ["two entries swapped", (c) => [...c.slice(0, 2), c[3], c[2], ...c.slice(4)], 3, /seq 3 is missing/],
    [
      "two entries' contents swapped, seq kept",
      (c) => {
        const [a, b] = [c[2]!, c[3]!];
        return [...c.slice(0, 2), { ...b, seq: 3, prev: a.prev }, { ...a, seq: 4, prev: b.prev }, ...c.slice(4)];
      },
      3,
      /seq 3 was altered/,
    ],
    ["the tail cut off before the checkpoint", (c) => c.slice(0, 4), 5, /seq 5…6 are missing: the chain ends at seq 4/],
  ])("%s: names the first bad entry", (_name, change, seq, message) => {
    expect(tamper(change)).toEqual({ seq, message: expect.stringMatching(message) });
  });

  it("a forged checkpoint (head changed, not re-signed) fails on its signature", () => {
    const forged = { ...checkpoint, hash: entryHash(entries[4]!), seq: 5 };
    expect(verifyChain("audit", entries, forged, verifier).problem).toEqual({
      seq: 5,
      message: expect.stringMatching(/signature does not verify .*forged/),
    });
  });

  it("a checkpoint signed by another key fails, even if it claims the trusted key id", () => {
    const foreign = checkpointAt(entries, 6, otherSigner);
    expect(verifyChain("audit", entries, foreign, verifier).problem?.message).toMatch(
      new RegExp(`signed by key ${otherSigner.keyId}, not the trusted key ${signer.keyId}`),
    );
    expect(verifyChain("audit", entries, { ...foreign, keyId: signer.keyId }, verifier).problem?.message).toMatch(
      /signature does not verify/,
    );
  });

  it("a checkpoint signed by an earlier key still trusted (after a rotation) verifies", () => {
    const rotated = verifierFromPublicKeyPem(`${otherSigner.publicKeyPem}\n${signer.publicKeyPem}`);
    expect(rotated.keyIds).toEqual([otherSigner.keyId, signer.keyId]);
    expect(verifyChain("audit", entries, checkpoint, rotated)).toMatchObject({ ok: true, verifiedThrough: 6 });
    const forged = { ...checkpoint, keyId: otherSigner.keyId };
    expect(verifyChain("audit", entries, forged, rotated).problem?.message).toMatch(/signature does not verify/);
  });

  it("a checkpoint of the other chain does not count", () => {
    const ledgerCheckpoint = { ...checkpoint, chain: "ledger" as const };
    expect(verifyChain("audit", entries, ledgerCheckpoint, verifier).problem?.message).toMatch(/ledger chain/);
  });

  it("a break after the checkpoint is a problem too, and says it is after the checkpoint", () => {
    const copy = entries.map((e) => ({ ...e }));
    copy[6]!.action = "edited";
    expect(verifyChain("audit", copy, checkpoint, verifier).problem).toEqual({
      seq: 7,
      message: expect.stringMatching(/seq 7 was altered \(after the last checkpoint\)/),
    });
  });
});

describe("a copy stored out of order (the Blob audit archive)", () => {
  it("is put in seq order; an identical duplicate counts once, a different one under the same seq is reported", () => {
    const entries = chainOf(4);
    const shuffled = [entries[2], entries[0], entries[3], entries[1], entries[0]];
    expect(verifyChain("audit", inSeqOrder(shuffled), undefined, verifier)).toMatchObject({ ok: true, entries: 4 });
    const forked = [...entries, { ...entries[1]!, action: "other" }];
    expect(verifyChain("audit", inSeqOrder(forked), undefined, verifier).problem).toMatchObject({ seq: 3 });
  });
});

describe("keys", () => {
  it("the key id is the SHA-256 fingerprint of the public key", () => {
    const { publicKey, privateKey } = generateKeyPairSync("ed25519");
    const fromPem = signerFromPrivateKeyPem(privateKey.export({ type: "pkcs8", format: "pem" }).toString());
    expect(fromPem.keyId).toBe(keyIdOf(publicKey));
    expect(fromPem.keyId).toMatch(/^[0-9a-f]{64}$/);
  });
  it("refuses a key that is not Ed25519", () => {
    const rsa = generateKeyPairSync("rsa", { modulusLength: 1024 }).privateKey.export({ type: "pkcs8", format: "pem" });
    expect(() => signerFromPrivateKeyPem(rsa.toString(), "k.pem")).toThrow(/k.pem is a rsa key, not Ed25519/);
  });
});

describe("loading the configured key", () => {
  const dir = mkdtempSync(join(tmpdir(), "evidence-keys-"));
  const keyFile = join(dir, "key.pem");
  const pem = generatePrivateKeyPem();
  writeFileSync(keyFile, pem);
  const publicFile = join(dir, "public.pem");
  writeFileSync(publicFile, signerFromPrivateKeyPem(pem).publicKeyPem);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("reads EVIDENCE_SIGNING_KEY_FILE, without a warning", () => {
    const warnings: string[] = [];
    const signer = loadEvidenceSigner({ NODE_ENV: "production", EVIDENCE_SIGNING_KEY_FILE: keyFile }, (m) =>
      warnings.push(m),
    );
    expect([signer.keyId, warnings]).toEqual([signerFromPrivateKeyPem(pem).keyId, []]);
  });
  it("production refuses to run without one; a missing file is named", () => {
    expect(() => loadEvidenceSigner({ NODE_ENV: "production" }, () => undefined)).toThrow(
      /EVIDENCE_SIGNING_KEY_FILE is required when NODE_ENV=production/,
    );
    expect(() =>
      loadEvidenceSigner({ NODE_ENV: "test", EVIDENCE_SIGNING_KEY_FILE: join(dir, "none.pem") }, () => undefined),
    ).toThrow(/none\.pem/);
  });
  it("elsewhere the shared development key, loudly", () => {
    const warnings: string[] = [];
    const first = loadEvidenceSigner({ NODE_ENV: "development" }, (m) => warnings.push(m));
    const second = loadEvidenceSigner({ NODE_ENV: "test" }, () => undefined);
    expect(second.keyId).toBe(first.keyId);
    expect(warnings).toEqual([expect.stringMatching(/DEVELOPMENT KEY .* prove nothing/)]);
  });
  it("a process that only checks can be given the public key alone", () => {
    const verifier = loadEvidenceVerifier(
      { NODE_ENV: "production", EVIDENCE_PUBLIC_KEY_FILE: publicFile },
      () => undefined,
    );
    expect(verifier.keyId).toBe(signerFromPrivateKeyPem(pem).keyId);
  });
});
