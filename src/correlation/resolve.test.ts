import { describe, expect, it } from "vitest";
import { correlate, recordingKeyOf } from "./resolve.js";

describe("correlate: which call a recording is", () => {
  it.each([
    ["nothing known", {}, { disagreements: [] }],
    [
      "the subject's serverCallId",
      { serverCallId: "s/1+=" },
      { serverCallId: "s/1+=", via: "serverCallId", disagreements: [] },
    ],
    [
      "our recordingId index first",
      { serverCallId: "s1", byRecordingId: "s1" },
      { serverCallId: "s1", via: "recordingId", disagreements: [] },
    ],
    ["the call id index", { byCallId: "s2" }, { serverCallId: "s2", via: "callId", disagreements: [] }],
    [
      "the metadata's call id last",
      { byMetadataCallId: "s3" },
      { serverCallId: "s3", via: "metadataCallId", disagreements: [] },
    ],
    [
      "clues that disagree: the strongest wins, the others are reported",
      { byRecordingId: "s1", serverCallId: "s2", byCallId: "s1" },
      { serverCallId: "s1", via: "recordingId", disagreements: ["serverCallId names s2, recordingId names s1"] },
    ],
  ])("%s", (_name, clues, expected) => {
    expect(correlate(clues)).toEqual(expected);
  });
});

describe("a recording's own key", () => {
  const chunks = [
    { index: 1, documentId: "0-eus-d2-bbb" },
    { index: 0, documentId: "0-eus-d2-aaa" },
  ];
  it("is its recordingId when known", () => {
    expect(recordingKeyOf("eyJQbGF0", chunks)).toBe("eyJQbGF0");
  });
  it("else its first chunk's documentId, whatever order the chunks come in", () => {
    expect(recordingKeyOf(undefined, chunks)).toBe("doc-0-eus-d2-aaa");
  });
  it("differs between two recordings of one call (a restart), where 'the call's latest' would not", () => {
    expect(recordingKeyOf(undefined, [{ index: 0, documentId: "d1" }])).not.toBe(
      recordingKeyOf(undefined, [{ index: 0, documentId: "d2" }]),
    );
  });
});
