import { describe, expect, it } from "vitest";
import {
  acsMetadataDocument,
  buildManifest,
  stopOfRecording,
  type ArchivedChunk,
  type ManifestInput,
} from "./manifest.js";

const chunk = (index: number, document: unknown, sizeBytes = 100): ArchivedChunk => ({
  index,
  documentId: `doc-${index}`,
  endReason: "SessionEnded",
  content: { blob: `t/c/r/chunk-${index}.wav`, sizeBytes, sha256: `sha-${index}`, contentType: "audio/wav" },
  metadata: {
    blob: `t/c/r/chunk-${index}.acsmetadata.json`,
    sha256: `msha-${index}`,
    document: acsMetadataDocument.parse(document),
  },
});

const input = (chunks: ArchivedChunk[]): ManifestInput => ({
  serverCallId: "call",
  correlationId: "corr",
  recordingId: "rec",
  recordingStartTime: "2026-11-21T10:00:00Z",
  teamId: "trading-desk",
  call: { caller: "8:a", callee: "8:b", participants: ["8:b", "8:a"], startedAt: "2026-11-21T09:59:58Z" },
  policy: {
    ruleId: "all-calls",
    mode: "required",
    policyHash: "ph",
    policySetHash: "psh",
    retainUntil: "2033-11-21T10:00:00.000Z",
    legalHold: false,
  },
  chunks,
  archivedAt: "2026-11-21T10:05:00Z",
});

describe("recording manifest", () => {
  it("lists chunks in order with sizes and hashes, sums bytes and durations", () => {
    const m = buildManifest(
      input([
        chunk(1, { chunkDuration: 2000, chunkStartTime: "2026-11-21T10:00:03Z" }, 50),
        chunk(0, {
          chunkDuration: 3000,
          chunkStartTime: "2026-11-21T10:00:00Z",
          recordingInfo: { format: "wav", channelType: "unmixed", contentType: "audio" },
        }),
      ]),
    );
    expect(m.chunks.map((c) => [c.index, c.sha256, c.sizeBytes, c.metadataSha256, c.startTime])).toEqual([
      [0, "sha-0", 100, "msha-0", "2026-11-21T10:00:00Z"],
      [1, "sha-1", 50, "msha-1", "2026-11-21T10:00:03Z"],
    ]);
    expect(m.totalBytes).toBe(150);
    expect(m.recording).toEqual({
      startTime: "2026-11-21T10:00:00Z",
      contentType: "audio",
      channelType: "unmixed",
      format: "wav",
      durationMs: 5000,
    });
    expect(m.policy).toEqual({
      ruleId: "all-calls",
      mode: "required",
      policyHash: "ph",
      policySetHash: "psh",
      retainUntil: "2033-11-21T10:00:00.000Z",
      legalHold: false,
    });
    expect(m.call.participants).toEqual(["8:a", "8:b"]);
  });

  it.each([
    [
      "unmixed: channels from the documents, ordered by channel",
      [
        {
          participants: [
            { participantId: "8:b", channel: 1 },
            { participantId: "8:a", channel: 0 },
          ],
        },
      ],
      [
        { participantId: "8:a", channel: 0 },
        { participantId: "8:b", channel: 1 },
      ],
    ],
    [
      "mixed: participants without channels",
      [{ participants: [{ participantId: "8:b" }, { participantId: "8:a" }] }],
      [
        { participantId: "8:a", channel: null },
        { participantId: "8:b", channel: null },
      ],
    ],
    [
      "a later chunk adds a participant; the first known channel stands",
      [
        { participants: [{ participantId: "8:a", channel: 0 }] },
        {
          participants: [
            { participantId: "8:a", channel: 3 },
            { participantId: "8:c", channel: 1 },
          ],
        },
      ],
      [
        { participantId: "8:a", channel: 0 },
        { participantId: "8:c", channel: 1 },
      ],
    ],
  ])("channel map — %s", (_what, documents, expected) => {
    expect(buildManifest(input(documents.map((d, i) => chunk(i, d)))).channelMap).toEqual(expected);
  });

  it("collects pause intervals with their chunk", () => {
    const m = buildManifest(
      input([
        chunk(0, { pauseResumeIntervals: [{ startTime: "2026-11-21T10:00:01Z", duration: 500 }] }),
        chunk(1, { pauseResumeIntervals: [{ startTime: "2026-11-21T10:00:04Z", duration: 700 }] }),
      ]),
    );
    expect(m.pauses).toEqual([
      { chunk: 0, startTime: "2026-11-21T10:00:01Z", durationMs: 500 },
      { chunk: 1, startTime: "2026-11-21T10:00:04Z", durationMs: 700 },
    ]);
  });

  it("says where and why a recording stopped on purpose ended, and says nothing of one that was not", () => {
    const stop = { trigger: "scope", by: "scope", reason: "no-in-scope-present", at: "2026-11-21T10:00:09Z" } as const;
    expect(buildManifest({ ...input([chunk(0, {})]), stop }).endedBy).toEqual(stop);
    expect(buildManifest(input([chunk(0, {})]))).not.toHaveProperty("endedBy");
  });

  it.each([
    ["its own recordingId", "rec-2", "2026-11-21T10:00:00Z", 1_000, "10:00:30"],
    ["by time: the stop made while its audio ran", "doc-1", "2026-11-21T10:00:00Z", 9_500, "10:00:10"],
    ["by time: a moment after its audio ended (clocks differ)", "doc-1", "2026-11-21T10:00:00Z", 6_000, "10:00:10"],
    ["by time: a recording that began after every stop", "doc-1", "2026-11-21T10:00:35Z", 30_000, undefined],
    ["by time: one that ended long before the stop", "doc-1", "2026-11-21T09:59:00Z", 1_000, undefined],
    ["an unreadable start: none", "doc-1", "soon", 1_000, undefined],
  ] as const)("finds the stop that ended a recording — %s", (_what, recordingId, startTime, durationMs, expected) => {
    const stop = (at: string) => ({ trigger: "scope", by: "scope", reason: "no-in-scope-present", at }) as const;
    const stops = { "rec-1": stop("2026-11-21T10:00:10Z"), "rec-2": stop("2026-11-21T10:00:30Z") };
    const found = stopOfRecording(stops, { recordingId, startTime, durationMs });
    expect(found?.at).toBe(expected ? `2026-11-21T${expected}Z` : undefined);
  });
});

describe('manifest of an our-side-only recording (docs/archive.md "Our side only")', () => {
  const served = {
    participants: [
      { participantId: "8:cust", channel: 0 },
      { participantId: "8:agent", channel: 1 },
    ],
  };
  const stripped = (index: number): ArchivedChunk => ({
    ...chunk(index, served, 60),
    ourSide: {
      kind: "our-side-only",
      documentId: `doc-${index}`,
      received: { sha256: `received-${index}`, sizeBytes: 120 },
      archived: { sha256: `sha-${index}`, sizeBytes: 60 },
      channels: {
        served: 2,
        kept: [{ channel: 1, archivedChannel: 0, participants: ["8:agent"] }],
        dropped: [{ channel: 0, participants: ["8:cust"], why: "no-consent" }],
      },
      unplaced: [],
      unarchivedParties: { "8:cust": { why: "refused", at: "2026-11-21T10:00:01Z" } },
    },
  });

  it("keeps what ACS served beside what was archived, the dropped channels, and the channel map after stripping", () => {
    const m = buildManifest(input([stripped(1), stripped(0)]));
    expect(m.chunks.map((c) => [c.sha256, c.sizeBytes, "received" in c ? c.received : undefined])).toEqual([
      ["sha-0", 60, { sha256: "received-0", sizeBytes: 120 }],
      ["sha-1", 60, { sha256: "received-1", sizeBytes: 120 }],
    ]);
    expect(m.chunks[0]).toMatchObject({
      channels: {
        served: 2,
        kept: [{ channel: 1, archivedChannel: 0, participants: ["8:agent"] }],
        dropped: [{ channel: 0, participants: ["8:cust"], why: "no-consent" }],
      },
    });
    // The archived files' channels: the agent on channel 0, the customer on none.
    expect(m.channelMap).toEqual([{ participantId: "8:agent", channel: 0 }]);
    expect(m.ourSideOnly).toEqual({
      unarchivedParties: [{ party: "8:cust", why: "refused", at: "2026-11-21T10:00:01Z" }],
    });
    expect(m.totalBytes).toBe(120);
  });

  it("a recording not stripped has neither", () => {
    const m = buildManifest(input([chunk(0, served)]));
    expect(m).not.toHaveProperty("ourSideOnly");
    expect(m.chunks[0]).not.toHaveProperty("received");
    expect(m.channelMap).toEqual([
      { participantId: "8:cust", channel: 0 },
      { participantId: "8:agent", channel: 1 },
    ]);
  });
});
