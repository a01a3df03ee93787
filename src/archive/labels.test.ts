import { describe, expect, it } from "vitest";
import { chunkLabels, retainUntil } from "./labels.js";

describe("retain-until", () => {
  it.each([
    ["2026-11-21T10:00:00Z", 30, "2026-12-21T10:00:00.000Z"],
    ["2026-02-28T23:30:00.5Z", 1, "2026-03-01T23:30:00.500Z"],
    ["2026-11-21T10:00:00Z", 0, "2026-11-21T10:00:00.000Z"],
    ["2026-11-21T10:00:00Z", null, undefined],
    ["2026-11-21T10:00:00Z", undefined, undefined],
  ])("%s + %s days = %s", (start, days, until) => {
    expect(retainUntil(start, days)).toBe(until);
  });
  it("counts from now when the base is unreadable, never from 1970", () => {
    const until = Date.parse(retainUntil("not a date", 1) ?? "");
    expect(Math.abs(until - (Date.now() + 86_400_000))).toBeLessThan(5_000);
  });
});

describe("chunk labels", () => {
  const input = {
    teamId: "trading-desk",
    serverCallId: "aHR0cHM6Ly9h+/=",
    recordingId: "rec-1",
    chunkIndex: 2,
    documentId: "0-eus-d1-abc",
    retainFrom: "2026-11-21T10:00:00Z",
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
  it("omits the call of a recording whose call is not known", () => {
    const { tags } = chunkLabels({ ...input, teamId: "_quarantine", serverCallId: undefined });
    expect(Object.keys(tags)).toEqual(["team", "recordingid", "chunk", "retainuntil", "legalhold"]);
  });
  it("omits retain-until and hold when the policy sets neither", () => {
    const { tags } = chunkLabels({ ...input, retentionDays: null, legalHold: false });
    expect(Object.keys(tags)).toEqual(["team", "servercallid", "recordingid", "chunk"]);
  });
});
