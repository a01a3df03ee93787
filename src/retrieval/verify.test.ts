import { describe, expect, it } from "vitest";
import { chainOfCustody, sha256sums, type ExportedRecording } from "./bundle.js";
import { sampleManifest } from "./test-fixtures.js";
import { verificationReport, type Observed, type VerificationInput } from "./verify.js";

const manifest = sampleManifest();
const intact = (index: number): { content: Observed; metadata: Observed } => ({
  content: { sha256: `c${index}`, sizeBytes: 1000 + index, metadataSha256: `c${index}` },
  metadata: { sha256: `m${index}`, sizeBytes: 10 },
});
const input = (changes: Partial<VerificationInput> = {}): VerificationInput => ({
  recordingId: "rec-1",
  manifestBlob: "b/manifest.json",
  expectedManifestSha256: "ms",
  manifestObserved: { sha256: "ms", sizeBytes: 100, metadataSha256: "ms" },
  manifest,
  chunks: new Map([
    [0, intact(0)],
    [1, intact(1)],
  ]),
  signature: { status: "intact", keyId: "k1", summary: "signed by key k1, intact" },
  verifiedAt: "2026-11-23T10:00:00.000Z",
  ...changes,
});
const withChunk0 = (observed: { content: Observed; metadata: Observed }) =>
  new Map([
    [0, observed],
    [1, intact(1)],
  ]);

describe("verificationReport", () => {
  it("shows the manifest's signature; an unsigned (older) manifest is no failure, a bad signature is", () => {
    expect(verificationReport(input()).manifest.signature).toMatchObject({ summary: "signed by key k1, intact" });
    const unsigned = verificationReport(
      input({ signature: { status: "unsigned", summary: "unsigned (written before signing)" } }),
    );
    expect(unsigned).toMatchObject({ ok: true, manifest: { ok: true, signature: { status: "unsigned" } } });
    const bad = verificationReport(
      input({ signature: { status: "invalid", keyId: "k2", summary: "signed by key k2, not the trusted key k1" } }),
    );
    expect(bad).toMatchObject({
      ok: false,
      manifest: { ok: false, problems: ["signature: signed by key k2, not the trusted key k1"] },
    });
  });

  it("is ok when every byte matches the manifest and the manifest matches the index", () => {
    const report = verificationReport(input());
    expect(report.ok).toBe(true);
    expect(report.manifest).toMatchObject({ ok: true, actualSha256: "ms", expectedSha256: "ms", problems: [] });
    expect(report.chunks.map((c) => [c.index, c.ok, c.actual])).toEqual([
      [0, true, { sha256: "c0", sizeBytes: 1000 }],
      [1, true, { sha256: "c1", sizeBytes: 1001 }],
    ]);
  });

  it.each([
    [
      "a chunk's bytes changed",
      { chunks: withChunk0({ ...intact(0), content: { sha256: "x", sizeBytes: 1000, metadataSha256: "c0" } }) },
      0,
      "content SHA-256 differs from the manifest",
    ],
    [
      "a chunk's size changed",
      { chunks: withChunk0({ ...intact(0), content: { sha256: "c0", sizeBytes: 999 } }) },
      0,
      "content size differs from the manifest",
    ],
    [
      "a chunk's blob metadata says another hash",
      { chunks: withChunk0({ ...intact(0), content: { sha256: "c0", sizeBytes: 1000, metadataSha256: "y" } }) },
      0,
      "the blob's sha256 metadata differs from the manifest",
    ],
    ["a chunk is missing", { chunks: withChunk0({ ...intact(0), content: null }) }, 0, "content blob missing"],
    [
      "a metadata document changed",
      { chunks: withChunk0({ ...intact(0), metadata: { sha256: "z", sizeBytes: 1 } }) },
      0,
      "metadata document SHA-256 differs from the manifest",
    ],
    ["nothing observed for a chunk", { chunks: new Map([[1, intact(1)]]) }, 0, "content blob missing"],
  ])("reports %s", (_what, changes, index, problem) => {
    const report = verificationReport(input(changes));
    expect(report.ok).toBe(false);
    expect(report.manifest.ok).toBe(true);
    const chunk = report.chunks.find((c) => c.index === index);
    expect(chunk?.ok).toBe(false);
    expect(chunk?.problems).toContain(problem);
    expect(report.chunks.find((c) => c.index !== index)?.ok).toBe(true);
  });

  it.each([
    [
      "the manifest changed",
      { manifestObserved: { sha256: "mx", sizeBytes: 100, metadataSha256: "mx" } },
      "manifest SHA-256 differs from the index",
    ],
    [
      "its metadata disagrees",
      { manifestObserved: { sha256: "ms", sizeBytes: 100, metadataSha256: "my" } },
      "manifest SHA-256 differs from its blob metadata",
    ],
    ["the manifest is missing", { manifestObserved: null, manifest: undefined }, "manifest blob missing"],
    ["the manifest is not one", { manifest: undefined }, "manifest is not a readable manifest"],
  ])("reports %s", (_what, changes, problem) => {
    const report = verificationReport(input(changes));
    expect(report.ok).toBe(false);
    expect(report.manifest.ok).toBe(false);
    expect(report.manifest.problems).toContain(problem);
  });
});

describe("export records", () => {
  const file = (path: string, sha: string, ok = true) => ({
    kind: "chunk" as const,
    chunk: 0,
    source: path,
    path: `recordings/${path}`,
    expectedSha256: sha,
    actualSha256: sha,
    sizeBytes: 1,
    ok,
    copiedBy: "this attempt" as const,
    verifiedAt: "t",
  });
  const recordings: ExportedRecording[] = [
    {
      recordingId: "r2",
      serverCallId: "c2",
      team: "t",
      ok: true,
      problems: [],
      files: [file("b/x.wav", "b".repeat(64))],
    },
    {
      recordingId: "r1",
      serverCallId: "c1",
      team: "t",
      ok: false,
      problems: ["chunk 0: SHA-256 differs from the manifest"],
      files: [file("a/x.wav", "a".repeat(64)), file("a/y.wav", "c".repeat(64), false)],
    },
  ];

  it("lists verified files in sha256sum format, by path", () => {
    expect(sha256sums(recordings)).toBe(
      `${"a".repeat(64)}  recordings/a/x.wav\n${"b".repeat(64)}  recordings/b/x.wav\n`,
    );
  });

  it("says who asked for what, when, and that the bundle is not clean when a file failed", () => {
    const custody = chainOfCustody({
      payload: {
        exportId: "e1",
        requestedBy: { name: "internal-audit", role: "auditor" },
        requestedAt: "2026-11-23T10:00:00Z",
        requestedFrom: "10.0.0.1",
        selection: { from: "2026-11-01T00:00:00.000Z", to: "2026-12-01T00:00:00.000Z" },
        recordingIds: ["r2", "r1"],
        target: { container: "exports", folder: "case-1" },
      },
      recordings,
      attempt: 2,
      completedAt: "2026-11-23T10:05:00Z",
    });
    expect(custody).toMatchObject({
      exportId: "e1",
      requestedBy: { name: "internal-audit", role: "auditor" },
      requestedAt: "2026-11-23T10:00:00Z",
      requestedFrom: "10.0.0.1",
      attempts: 2,
      ok: false,
      what: { recordings: 2, files: 3, team: null },
    });
    expect(
      chainOfCustody({ payload: custodyPayload(), recordings: [recordings[0]!], attempt: 1, completedAt: "t" }).ok,
    ).toBe(true);
    expect(chainOfCustody({ payload: custodyPayload(), recordings: [], attempt: 1, completedAt: "t" }).ok).toBe(false);
  });
});

function custodyPayload() {
  return {
    exportId: "e",
    requestedBy: { name: "n", role: "team" as const, team: "t" },
    requestedAt: "t",
    requestedFrom: "ip",
    selection: {},
    team: "t",
    recordingIds: [],
    target: { container: "exports", folder: "f" },
  };
}
