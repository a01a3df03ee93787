import { describe, expect, it } from "vitest";
import { parseRecordingSubject } from "./subject.js";

describe("parseRecordingSubject", () => {
  it.each([
    ["/recording/call/abc/recordingId/rec1", { serverCallId: "abc", recordingId: "rec1" }],
    ["/recording/call/aHR0c/Hh4/recordingId/eyJ+/a==", { serverCallId: "aHR0c/Hh4", recordingId: "eyJ+/a==" }],
    ["/recording/call/abc/serverCallId/abc", { serverCallId: "abc" }],
    ["/recording/call/abc", undefined],
    ["call/abc/startedBy/x", undefined],
    ["/recording/call//recordingId/r", undefined],
  ])("%s", (subject, expected) => {
    expect(parseRecordingSubject(subject)).toEqual(expected);
  });
});
