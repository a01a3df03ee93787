import { describe, expect, it } from "vitest";
import type { PresenceObservation } from "../../../src/calls/index.js";
import type { CallSession, RecordingStop } from "../../../src/sessions/index.js";
import { recordDecision, sessionOf } from "../../../src/sessions/test-fixtures.js";
import { stopRecordingJob } from "./stop-recording.js";

const TRADER = "8:acs:r_trader";
const at = (second: number) => `2026-12-04T10:00:${String(second).padStart(2, "0")}Z`;
const left: PresenceObservation = { source: "event-grid", change: "left", participant: TRADER, at: at(10) };
const back: PresenceObservation = { source: "event-grid", change: "joined", participant: TRADER, at: at(20) };

const session = (changes: Partial<CallSession>): CallSession =>
  sessionOf({
    participants: [TRADER],
    caller: TRADER,
    started: true,
    decision: recordDecision({ inScope: [TRADER], until: "last-in-scope-leaves" }),
    callConnectionId: "conn-1",
    ownConnectionId: "conn-1",
    connectedConnections: ["conn-1"],
    recordingId: "rec-1",
    recordingState: "active",
    recordingVersion: 1,
    factsVersion: 3,
    presence: [left],
    ...changes,
  });

/** The job's dependencies as fakes that keep what they were asked; `advance` is never reached in these rows. */
function fakes(read: CallSession, acsAnswer: () => Promise<void>) {
  const done: string[] = [];
  const stops: RecordingStop[] = [];
  const sessions = {
    get: async () => read,
    release: async (_call: string, step: string) => void done.push(`release ${step}`),
    recordStop: async (_call: string, stop: RecordingStop) => {
      stops.push(stop);
      done.push(`record ${stop.trigger} stop of ${stop.recordingId}`);
      return true;
    },
    forgetStop: async (_call: string, recordingId: string) => void done.push(`forget stop of ${recordingId}`),
  };
  const acs = {
    getCallRecording: () => ({
      stop: async (recordingId: string) => {
        done.push(`ACS stop ${recordingId}`);
        await acsAnswer();
      },
    }),
  };
  const quiet = () => undefined;
  const logger = { info: quiet, warn: quiet, error: quiet, debug: quiet };
  return { done, stops, deps: { sessions, acs, logger } as never };
}

const payload = {
  serverCallId: "call-1",
  correlationId: "corr-1",
  recordingId: "rec-1",
  trigger: "scope",
  by: "scope",
  reason: "no-in-scope-present",
  claimant: "event:e-1",
} as const;

describe("stop-recording", () => {
  it("a stop by scope no longer due (she came back, or the call ended) gives its step back and asks ACS nothing", async () => {
    for (const read of [session({ presence: [left, back] }), session({ ended: true })]) {
      const { done, deps } = fakes(read, async () => undefined);
      await stopRecordingJob.perform(deps, payload, { attempt: 1, progress: async () => undefined });
      expect(done).toEqual(["release stop-recording:rec-1"]);
    }
  });

  it("ACS refusing the stop for good takes it off the record and gives the step back: the recording is watched as before", async () => {
    const refused = Object.assign(new Error("forbidden"), { statusCode: 403 });
    const { done, deps } = fakes(session({}), async () => Promise.reject(refused));
    await expect(
      stopRecordingJob.perform(deps, payload, { attempt: 1, progress: async () => undefined }),
    ).rejects.toThrow(/stop recording/);
    expect(done).toEqual([
      "record scope stop of rec-1",
      "ACS stop rec-1",
      "forget stop of rec-1",
      "release stop-recording:rec-1",
    ]);
  });

  it("a stop by scope of a recording ACS no longer knows (the call ended meanwhile) is taken off the record, noted nowhere", async () => {
    const gone = Object.assign(new Error("not found"), { statusCode: 404 });
    const { done, deps } = fakes(session({}), async () => Promise.reject(gone));
    await stopRecordingJob.perform(deps, payload, { attempt: 1, progress: async () => undefined });
    expect(done).toEqual(["record scope stop of rec-1", "ACS stop rec-1", "forget stop of rec-1"]);
  });

  it("a failure worth retrying keeps the step: the retry plans again", async () => {
    const unavailable = Object.assign(new Error("busy"), { statusCode: 503 });
    const { done, deps } = fakes(session({}), async () => Promise.reject(unavailable));
    await expect(
      stopRecordingJob.perform(
        deps,
        { ...payload, trigger: "request", by: "agent", reason: "customer-objection" },
        {
          attempt: 1,
          progress: async () => undefined,
        },
      ),
    ).rejects.toThrow(/busy/);
    expect(done).toEqual(["record request stop of rec-1", "ACS stop rec-1", "forget stop of rec-1"]);
  });
});
