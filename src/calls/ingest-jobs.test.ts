import { describe, expect, it } from "vitest";
import { correlate } from "../correlation/index.js";
import type { AcsEvent } from "../intake/schemas.js";
import { ingestJobsOf, recordingCluesOf } from "./ingest-jobs.js";

type RecordingEvent = Extract<AcsEvent, { type: "Microsoft.Communication.RecordingFileStatusUpdated" }>;
const chunk = (index: number) => ({
  documentId: `doc-${index}`,
  index,
  endReason: index === 1 ? "SessionEnded" : "ChunkMaximumSizeExceeded",
  contentLocation: `https://acs.example/content/${index}`,
  metadataLocation: `https://acs.example/metadata/${index}`,
  deleteLocation: `https://acs.example/delete/${index}`,
});
const published = "2026-01-01T10:00:00.000Z";
const received = "2026-01-01T10:00:01.000Z";
const recordingEvent = (subject: string, recordingId?: string): RecordingEvent => ({
  id: "e-1",
  type: "Microsoft.Communication.RecordingFileStatusUpdated",
  subject,
  time: published,
  data: {
    recordingStorageInfo: { recordingChunks: [chunk(1), chunk(0)] },
    recordingStartTime: "2026-01-01T09:55:00.000Z",
    recordingDurationMs: 300_000,
    ...(recordingId ? { recordingId } : {}),
  },
});

describe("recordingCluesOf", () => {
  it.each([
    {
      name: "form 3: call, server call and recording in the subject",
      event: recordingEvent("/recording/call/cid/serverCallId/scid/recordingId/rec-1"),
      expected: {
        subject: { callId: "cid", serverCallId: "scid", recordingId: "rec-1" },
        knownRecordingId: "rec-1",
        recordingId: "rec-1",
        subjectDisagrees: false,
      },
    },
    {
      name: "form 1 with the data's recordingId",
      event: recordingEvent("/recording/call/cid", "rec-2"),
      expected: {
        subject: { callId: "cid" },
        knownRecordingId: "rec-2",
        recordingId: "rec-2",
        subjectDisagrees: false,
      },
    },
    {
      name: "no recordingId anywhere: keyed by the first chunk's documentId",
      event: recordingEvent("/recording/call/cid"),
      expected: {
        subject: { callId: "cid" },
        knownRecordingId: undefined,
        recordingId: "doc-doc-0",
        subjectDisagrees: false,
      },
    },
    {
      name: "subject and data disagree: the subject's is used",
      event: recordingEvent("/recording/call/cid/recordingId/rec-1", "rec-9"),
      expected: {
        subject: { callId: "cid", recordingId: "rec-1" },
        knownRecordingId: "rec-1",
        recordingId: "rec-1",
        subjectDisagrees: true,
      },
    },
    {
      name: "a subject that names no call",
      event: recordingEvent("something else", "rec-3"),
      expected: { subject: undefined, knownRecordingId: "rec-3", recordingId: "rec-3", subjectDisagrees: false },
    },
  ])("$name", ({ event, expected }) => {
    expect(recordingCluesOf(event)).toEqual(expected);
  });
});

describe("ingestJobsOf", () => {
  const listed = [chunk(1), chunk(0)].map(({ index, documentId, endReason, contentLocation }) => ({
    index,
    documentId,
    endReason,
    contentLocation,
  }));

  it("one job per chunk, naming the call found, every chunk and when ACS deletes its copy; nearer expiry, higher priority", () => {
    const event = recordingEvent("/recording/call/cid/serverCallId/scid/recordingId/rec-1");
    const found = {
      clues: recordingCluesOf(event),
      correlation: correlate({ serverCallId: "scid", byRecordingId: "scid" }),
      correlationId: "corr-1",
    };
    const soon = ingestJobsOf(event, found, received, new Date("2026-01-02T09:30:00.000Z"));
    expect(soon.map(({ payload }) => payload)).toEqual(
      [chunk(1), chunk(0)].map((c) => ({
        serverCallId: "scid",
        correlationId: "corr-1",
        via: "recordingId",
        callId: "cid",
        recordingId: "rec-1",
        recordingStartTime: "2026-01-01T09:55:00.000Z",
        firstSeenAt: received,
        chunk: c,
        recordingChunks: listed,
        acsExpiresAt: "2026-01-02T10:00:00.000Z",
        eventTime: published,
      })),
    );
    const early = ingestJobsOf(event, found, received, new Date(published));
    expect(soon[0]!.priority).toBeLessThan(early[0]!.priority);
  });

  it("a call not found: the job carries no call, and looks again itself", () => {
    const event = recordingEvent("/recording/call/cid");
    const [job] = ingestJobsOf(
      event,
      { clues: recordingCluesOf(event), correlation: correlate({}), correlationId: undefined },
      received,
      new Date(published),
    );
    expect(job?.payload).not.toHaveProperty("serverCallId");
    expect(job?.payload).not.toHaveProperty("via");
    expect(job?.payload).toMatchObject({ callId: "cid", correlationId: undefined, recordingId: "doc-doc-0" });
  });
});
