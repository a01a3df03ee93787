import { describe, expect, it } from "vitest";
import { isJobName } from "../src/queues/index.js";
import { runsBeforeRecording } from "./job.js";
import { callIdsOfJob, mayKnowMore } from "./log-context.js";
import { workerJobs } from "./registry.js";

describe("callIdsOfJob", () => {
  it.each([
    [
      "a control job",
      { serverCallId: "s1", correlationId: "c1", callConnectionId: "x" },
      { serverCallId: "s1", correlationId: "c1" },
    ],
    [
      "an ingest job",
      { serverCallId: "s1", correlationId: undefined, recordingId: "r1", chunk: { index: 0 } },
      { serverCallId: "s1", recordingId: "r1" },
    ],
    [
      "a CallStarted event",
      { event: { type: "Microsoft.Communication.CallStarted", data: { serverCallId: "s2", correlationId: "c2" } } },
      { serverCallId: "s2", correlationId: "c2" },
    ],
    [
      "a RecordingStateChanged callback",
      {
        event: {
          type: "Microsoft.Communication.RecordingStateChanged",
          data: { serverCallId: "s3", correlationId: "c3", recordingId: "r3", state: "active" },
        },
      },
      { serverCallId: "s3", correlationId: "c3", recordingId: "r3" },
    ],
    [
      "a RecordingFileStatusUpdated (ids in the subject; serverCallId with '/', '+', '=')",
      {
        event: {
          type: "Microsoft.Communication.RecordingFileStatusUpdated",
          subject: "/recording/call/c4/serverCallId/aHR0c/Hz8+a==/recordingId/r4",
          data: { recordingStorageInfo: { recordingChunks: [] } },
        },
      },
      { serverCallId: "aHR0c/Hz8+a==", correlationId: "c4", recordingId: "r4" },
    ],
    [
      "a RecordingFileStatusUpdated naming only ACS's call id",
      {
        event: {
          type: "Microsoft.Communication.RecordingFileStatusUpdated",
          subject: "/recording/call/c5",
          data: { recordingStorageInfo: { recordingChunks: [] } },
        },
      },
      { correlationId: "c5" },
    ],
    ["the gap sweep", {}, {}],
    ["not an object", null, {}],
  ])("%s", (_name, data, ids) => {
    expect(callIdsOfJob(data)).toEqual(ids);
  });
});

describe("mayKnowMore (whether to read the session for the recording id)", () => {
  const event = (type: string) => ({ event: { type, data: { serverCallId: "s", correlationId: "c" } } });
  it.each([
    ["CallStarted (before any recording)", "call-event", event("Microsoft.Communication.CallStarted"), false],
    ["CallConnected (before any recording)", "call-event", event("Microsoft.Communication.CallConnected"), false],
    ["start-recording", "start-recording", { serverCallId: "s", correlationId: "c" }, false],
    ["CallEnded", "call-event", event("Microsoft.Communication.CallEnded"), true],
    ["play-announcement", "play-announcement", { serverCallId: "s", correlationId: "c" }, true],
    ["ingest without a correlation id", "ingest-chunk", { serverCallId: "s", recordingId: "r" }, true],
    ["a job about no call", "sweep-gaps", {}, false],
  ])("%s → %s", (_what, name, data, expected) => {
    if (!isJobName(name)) throw new Error(`no job kind ${name}`);
    expect(mayKnowMore(runsBeforeRecording(workerJobs[name], data), callIdsOfJob(data))).toBe(expected);
  });
});
