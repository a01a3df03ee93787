import { describe, expect, it } from "vitest";
import { chunkLabels, retainUntil } from "./labels.js";

describe("retain-until", () => {
  it.each([
    ["2026-11-21T10:00:00Z", 30, "2026-12-21T10:00:00.000Z"],
    ["2026-02-28T23:30:00.5Z", 1, "2026-03-01T23:30:00.500Z"],
    ["2026-11-21T10:00:00Z", 0, "2026-11-21T10:00:00.000Z"],
    ["2026-11-21T10:00:00Z", null, undefined],
    ["2026-11-21T10:00:00Z", undefined, undefined],
    ["not a date", 1, "1970-01-02T00:00:00.000Z"],
  ])("%s + %s days = %s", (start, days, until) => {
    expect(retainUntil(start, days)).toBe(until);
  });
});

describe("chunk labels", () => {
  const input = {
    teamId: "trading-desk",
    serverCallId: "aHR0cHM6Ly9h+/=",
    recordingId: "rec-1",
    chunkIndex: 2,
    documentId: "0-eus-d1-abc",
    recordingStartTime: "2026-11-21T10:00:00Z",
    retentionDays: 7,
    legalHold: true,
  };
  it("tags team, call, recording, chunk, retain-until and hold; metadata adds the document id", () => {
    expect(chunkLabels(input)).toEqual({
      tags: {
        team: "trading-desk",
        servercallid: "aHR0cHM6Ly9h+/=",
        recordingid: "rec-1",
        chunk: "2",
        retainuntil: "2026-11-28T10:00:00.000Z",
        legalhold: "true",
      },
      metadata: {
        team: "trading-desk",
        servercallid: "aHR0cHM6Ly9h+/=",
        recordingid: "rec-1",
        chunk: "2",
        retainuntil: "2026-11-28T10:00:00.000Z",
        legalhold: "true",
        documentid: "0-eus-d1-abc",
      },
    });
  });
  it("omits retain-until and hold when the policy sets neither", () => {
    const { tags } = chunkLabels({ ...input, retentionDays: null, legalHold: false });
    expect(Object.keys(tags)).toEqual(["team", "servercallid", "recordingid", "chunk"]);
  });
});
