import { describe, expect, it } from "vitest";
import {
  buildCheckpoint,
  canonicalSha256,
  generatePrivateKeyPem,
  linkEntry,
  signerFromPrivateKeyPem,
  verifierOf,
  type ChainHead,
} from "../evidence/index.js";
import {
  buildBundleIndex,
  buildSeal,
  bundleIndexProblem,
  bundleIndexSchema,
  checkLedgerSlice,
  inLedgerSlice,
  parseSeal,
  sealProblem,
  type LedgerSlice,
} from "./bundle-index.js";

const signer = signerFromPrivateKeyPem(generatePrivateKeyPem());
const other = signerFromPrivateKeyPem(generatePrivateKeyPem());
const verifier = verifierOf(signer);

describe("bundle.json", () => {
  const bytes = buildBundleIndex(
    {
      exportId: "e",
      createdAt: "2026-12-04T10:00:00.000Z",
      files: [{ path: "a", sizeBytes: 1, sha256: "f".repeat(64) }],
    },
    signer,
  );
  const index = bundleIndexSchema.parse(JSON.parse(bytes.toString("utf8")));

  it("is signed over its canonical form: intact, altered, another key", () => {
    expect(bundleIndexProblem(index, verifier)).toBeUndefined();
    // Another member order or spacing is the same document.
    expect(
      bundleIndexProblem(JSON.parse(JSON.stringify({ ...index }, null, 7)) as typeof index, verifier),
    ).toBeUndefined();
    expect(bundleIndexProblem({ ...index, files: [{ ...index.files[0]!, sizeBytes: 2 }] }, verifier)).toMatch(
      /signature does not verify .* altered after signing, or forged/,
    );
    expect(bundleIndexProblem(index, verifierOf(other))).toBe(
      `bundle.json is signed by key ${signer.keyId}, not the trusted key ${other.keyId}`,
    );
  });
});

describe("the seal", () => {
  const seal = parseSeal(buildSeal("a".repeat(64), "b".repeat(64), signer));

  it("parses and verifies; a changed hash, another key, or a comment that is not a seal fail", () => {
    if (typeof seal === "string") throw new Error(seal);
    expect(seal).toMatchObject({
      structureSha256: "a".repeat(64),
      bundleJsonSha256: "b".repeat(64),
      keyId: signer.keyId,
    });
    expect(sealProblem(seal, verifier)).toBeUndefined();
    expect(sealProblem({ ...seal, structureSha256: "c".repeat(64) }, verifier)).toMatch(/does not verify/);
    expect(sealProblem(seal, verifierOf(other))).toMatch(/signed by key .*, not the trusted key/);
    expect(parseSeal(Buffer.from("hello"))).toMatch(/not a bundle seal/);
    expect(parseSeal(Buffer.from("compliance-recorder evidence bundle seal v1 {x"))).toMatch(/not JSON/);
  });

  it("has the same length whatever the hashes (the writer measures it before it knows them)", () => {
    expect(buildSeal("0".repeat(64), "0".repeat(64), signer).length).toBe(
      buildSeal("f".repeat(64), "e".repeat(64), signer).length,
    );
  });
});

describe("the ledger slice", () => {
  // seq 1 other, 2 call-a, 3 call-a, 4 other, 5 call-a (the checkpoint's head).
  const chain: (Record<string, unknown> & { seq: number })[] = [];
  let head: ChainHead | undefined;
  for (const serverCallId of ["other", "call-a", "call-a", "other", "call-a"]) {
    const entry = JSON.parse(
      JSON.stringify(linkEntry({ change: "entry", serverCallId, entry: {} }, head)),
    ) as (typeof chain)[0];
    chain.push(entry);
    head = { seq: entry.seq, hash: canonicalSha256(entry) };
  }
  const checkpoint = buildCheckpoint("ledger", head!, new Date("2026-12-04T10:00:00Z"), signer);
  const calls = new Set(["call-a"]);
  const entries = chain.filter((e) => inLedgerSlice(e, calls, new Set()));
  const slice = (changes: Partial<LedgerSlice> = {}): LedgerSlice => ({
    chain: "ledger",
    checkpointSeq: 5,
    serverCallIds: ["call-a"],
    recordingIds: [],
    entries,
    ...changes,
  });

  it("takes the entries of the exported calls and recordings only", () => {
    expect(entries.map((e) => e.seq)).toEqual([2, 3, 5]);
    expect(inLedgerSlice({ change: "quarantine", recordingId: "r" }, new Set(), new Set(["r"]))).toBe(true);
  });

  it.each<[string, () => LedgerSlice, typeof checkpoint, RegExp | null]>([
    ["intact", () => slice(), checkpoint, null],
    [
      "an entry altered (its successor's prev no longer matches)",
      () => slice({ entries: [{ ...entries[0]!, entry: { state: "x" } }, entries[1]!, entries[2]!] }),
      checkpoint,
      /^ledger slice seq 2 was altered, or seq 3 is not its successor/,
    ],
    [
      "the checkpoint's entry altered",
      () => slice({ entries: [entries[0]!, entries[1]!, { ...entries[2]!, at: "x" }] }),
      checkpoint,
      /^ledger slice seq 5 was altered: it hashes to .*, the checkpoint signed/,
    ],
    [
      "an entry after the checkpoint",
      () => slice({ entries: [...entries, { ...entries[2]!, seq: 6 }] }),
      checkpoint,
      /^ledger slice seq 6 is after the checkpoint's seq 5/,
    ],
    [
      "entries reordered",
      () => slice({ entries: [entries[1]!, entries[0]!, entries[2]!] }),
      checkpoint,
      /follows seq 3: out of order/,
    ],
    [
      "an entry without seq",
      () => slice({ entries: [{ change: "entry" }] }),
      checkpoint,
      /entry 1 has no valid seq and prev/,
    ],
    [
      "a forged checkpoint",
      () => slice(),
      { ...checkpoint, hash: "0".repeat(64) },
      /its signature does not verify .* \(forged, or altered after signing\)/,
    ],
    [
      "a checkpoint of another key",
      () => slice(),
      buildCheckpoint("ledger", head!, new Date(), other),
      /is signed by key .*, not the trusted key/,
    ],
    [
      "the slice read to another seq",
      () => slice({ checkpointSeq: 4 }),
      checkpoint,
      /read up to seq 4, the checkpoint covers seq 5/,
    ],
  ])("%s", (_what, make, cp, problem) => {
    const check = checkLedgerSlice(make(), cp, verifier);
    if (problem === null) expect(check.problems).toEqual([]);
    else expect(check.problems).toEqual(expect.arrayContaining([expect.stringMatching(problem)]));
    expect(check.notes.join(" ")).toContain("not by the bundle alone");
  });
});
