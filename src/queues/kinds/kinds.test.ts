import type { JobsOptions } from "bullmq";
import { describe, expect, it } from "vitest";
import { LEAST_URGENT_PRIORITY } from "../../archive/index.js";
import { jobIdFor } from "../kind.js";
import { jobKinds, type JobName, type PayloadOf } from "./index.js";

/** The retry options every kind had before kinds were defined one by one: defining them must change none. */
const retried = (attempts: number, delay: number): JobsOptions => ({
  attempts,
  backoff: { type: "exponential", delay },
  removeOnComplete: { age: 24 * 3600, count: 10_000 },
  removeOnFail: false,
});
// Kinds added since (checkpoint-evidence) have no "before" to keep.
const OPTIONS_BEFORE: Partial<Record<JobName, JobsOptions>> = {
  "call-event": retried(10, 500),
  "connect-call": { ...retried(5, 500), priority: 1 },
  "connect-ringing": { ...retried(120, 1_000), backoff: { type: "fixed", delay: 1_000 }, delay: 1_500, priority: 1 },
  "start-recording": { ...retried(5, 500), priority: 1 },
  "reject-call": { ...retried(3, 250), priority: 1, removeOnComplete: true, removeOnFail: true },
  "probe-storage": { ...retried(1, 1_000), priority: 2, removeOnComplete: true, removeOnFail: { count: 100 } },
  "enforce-start": { ...retried(5, 500), priority: 2 },
  "play-announcement": { ...retried(5, 500), priority: 3 },
  "pause-recording": { ...retried(5, 500), priority: 2 },
  "resume-recording": { ...retried(5, 500), priority: 2 },
  "stop-recording": { ...retried(5, 500), priority: 2 },
  "confirm-presence": { ...retried(5, 500), priority: 2 },
  "expect-recording": { ...retried(5, 1_000), priority: 3 },
  "sweep-gaps": { ...retried(1, 1_000), priority: 3 },
  "sweep-ingest-deadlines": { ...retried(1, 1_000), priority: 2 },
  "check-recording": { ...retried(5, 500), priority: 2 },
  "ingest-chunk": retried(12, 2_000),
  "export-recordings": { ...retried(10, 1_000), removeOnComplete: { age: 30 * 24 * 3600 } },
};

describe("job kinds", () => {
  it("each is filed under its own name, on the queue it always used", () => {
    for (const [name, kind] of Object.entries(jobKinds)) expect(kind.name).toBe(name);
    expect(Object.fromEntries(Object.values(jobKinds).map((kind) => [kind.name, kind.queue]))).toMatchObject({
      "call-event": "call-events",
      "ingest-chunk": "ingest",
      "chunk-peaks": "ingest",
      "export-recordings": "export",
      "connect-call": "control",
      // Moved on purpose with every periodic kind: their old schedulers are removed at start (docs/operations.md
      // "Worker roles", test/integration/operations-queue.test.ts).
      "sweep-ingest-deadlines": "operations",
    });
  });

  it.each(Object.keys(OPTIONS_BEFORE) as JobName[])("%s keeps its options", (name) => {
    expect(jobKinds[name].options).toEqual(OPTIONS_BEFORE[name]);
  });

  const call = { serverCallId: "aHR0c/Hz8+a==", correlationId: "corr-1" };
  const chunk = {
    documentId: "doc-1",
    index: 2,
    endReason: "SessionEnded",
    contentLocation: "https://x.asm.skype.com/c",
    metadataLocation: "https://x.asm.skype.com/m",
    deleteLocation: "https://x.asm.skype.com/d",
  };
  const announcement = { text: "This call is recorded." };
  const recording = {} as PayloadOf<"start-recording">["recording"];
  const event = { id: "event-7", type: "Microsoft.Communication.CallStarted" } as PayloadOf<"call-event">["event"];
  const exportPayload = { exportId: "5f1c7c0e-0d7a-4b7a-9d4e-2f3a1b2c3d4e" } as PayloadOf<"export-recordings">;

  // Each producer's id as it was written at the enqueue site before kinds had keys: the ids must not change.
  it.each([
    ["call-event", { event, receivedAt: "t", channel: "callback" }, jobIdFor("callback", "event-7")],
    ["connect-call", call, jobIdFor(call.serverCallId, "connect")],
    ["connect-ringing", call, jobIdFor(call.serverCallId, "ring-watch")],
    [
      "start-recording",
      { ...call, callConnectionId: "conn", recording },
      jobIdFor(call.serverCallId, "start-recording"),
    ],
    ["reject-call", { ...call, reason: "storage down" }, jobIdFor(call.serverCallId, "reject")],
    ["enforce-start", call, jobIdFor(call.serverCallId, "enforce-start")],
    [
      "enforce-start",
      { ...call, failedRecordingId: "rec-1", startFailedOf: "rec-1" },
      jobIdFor("start-failed", call.serverCallId, "rec-1"),
    ],
    [
      "enforce-start",
      { ...call, failedRecordingId: "", startFailedOf: "event-9" },
      jobIdFor("start-failed", call.serverCallId, "event-9"),
    ],
    ["play-announcement", { ...call, callConnectionId: "conn", announcement }, jobIdFor(call.serverCallId, "announce")],
    [
      "resume-recording",
      {
        serverCallId: call.serverCallId,
        recordingId: "rec-1",
        by: "automatic resume",
        pausedAt: "2026-01-01T00:00:00Z",
      },
      jobIdFor("auto-resume", call.serverCallId, "2026-01-01T00:00:00Z"),
    ],
    ["check-recording", { ...call, recordingId: "rec-1", eventId: "event-8" }, jobIdFor("check-recording", "event-8")],
    ["expect-recording", call, jobIdFor("expect-recording", call.serverCallId)],
    [
      "ingest-chunk",
      { correlationId: undefined, recordingId: "rec-1", recordingStartTime: "t", chunk },
      jobIdFor("ingest", "rec-1", "2"),
    ],
    ["export-recordings", exportPayload, exportPayload.exportId],
    [
      "chunk-peaks",
      { blob: "desk/2026/12/04/call/rec/chunk-0002.wav", recordingId: "rec-1", correlationId: undefined },
      jobIdFor("chunk-peaks", "desk/2026/12/04/call/rec/chunk-0002.wav"),
    ],
  ] as [JobName, unknown, string][])("%s is queued under the id it always had", (name, payload, id) => {
    expect((jobKinds[name].jobIdOf as (payload: unknown) => string | undefined)(payload)).toBe(id);
  });

  it.each([
    ["pause-recording", { serverCallId: "s", recordingId: "r", by: "op", reason: "pci", autoResumeSeconds: null }],
    ["resume-recording", { serverCallId: "s", recordingId: "r", by: "op" }],
    ["sweep-gaps", {}],
    ["sweep-ingest-deadlines", {}],
    ["probe-storage", {}],
  ] as [JobName, unknown][])("%s has a fresh id per job (an operator's request, a periodic run)", (name, payload) => {
    expect((jobKinds[name].jobIdOf as (payload: unknown) => string | undefined)(payload)).toBeUndefined();
  });

  it("queues a chunk's peaks after every ingest band, once per chunk blob, with a few retries", () => {
    const kind = jobKinds["chunk-peaks"];
    const payload = { blob: "desk/x/chunk-0000.wav", recordingId: "rec-1", correlationId: undefined };
    // Ingest bands run 1 (under an hour left) to 24 (a full day): peaks wait behind all of them.
    expect(kind.priorityOf(payload)).toBeGreaterThan(LEAST_URGENT_PRIORITY);
    expect(kind.jobIdOf({ ...payload, recordingId: "other", serverCallId: "s" })).toBe(kind.jobIdOf(payload));
    expect(kind.jobIdOf({ ...payload, blob: "desk/x/chunk-0001.wav" })).not.toBe(kind.jobIdOf(payload));
    expect(kind.options).toMatchObject({ attempts: 3, backoff: { type: "exponential" }, removeOnFail: false });
  });

  it("names the later recordings of a call, each stop's claimant and each confirmation as their claims are named", () => {
    const id = <N extends JobName>(name: N, payload: PayloadOf<N>) =>
      (jobKinds[name].jobIdOf as (payload: unknown) => string | undefined)(payload);
    const start = { ...call, callConnectionId: "conn", recording };
    expect(id("start-recording", { ...start, generation: 1 })).toBe(jobIdFor(call.serverCallId, "start-recording"));
    expect(id("start-recording", { ...start, generation: 2 })).toBe(jobIdFor(call.serverCallId, "start-recording:2"));
    const stop = {
      ...call,
      recordingId: "rec-1",
      trigger: "scope",
      by: "scope",
      reason: "no-in-scope-present",
    } as const;
    expect(id("stop-recording", { ...stop, claimant: "event:e1" })).toBe(
      jobIdFor(call.serverCallId, "stop-recording:rec-1", "event:e1"),
    );
    expect(id("stop-recording", { ...stop, claimant: "event:e1" })).not.toBe(
      id("stop-recording", { ...stop, claimant: "event:e2" }),
    );
    expect(id("confirm-presence", { ...call, callConnectionId: "conn", observations: 4 })).toBe(
      jobIdFor(call.serverCallId, "confirm-presence:4"),
    );
  });
});
