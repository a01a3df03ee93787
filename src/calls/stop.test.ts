import { describe, expect, it } from "vitest";
import type { CallSession } from "../sessions/index.js";
import { recordDecision, skipDecision } from "../sessions/test-fixtures.js";
import { stopVerdict, type StopVerdict } from "./stop.js";

const stoppable = recordDecision({
  teamId: "contact-centre",
  ruleId: "customer-calls",
  mode: "best-effort",
  stop: { allowed: true, reasons: ["customer-objection", "wrong-number"] },
});
type StopFacts = Parameters<typeof stopVerdict>[0];
const live: StopFacts = {
  serverCallId: "call-1",
  correlationId: "corr-1",
  decision: stoppable,
  recordingId: "rec-1",
  ended: false,
  stops: {},
};
const request = { by: "agent-7", reason: "customer-objection" };
const stoppedBy = (by: string): CallSession["stops"] => ({
  "rec-1": { recordingId: "rec-1", trigger: "request", by, reason: "wrong-number", at: "2026-12-04T10:00:00Z" },
});

describe("stopVerdict", () => {
  it.each<{ name: string; session: Partial<StopFacts>; reason?: string; expected: StopVerdict }>([
    {
      name: "an unknown call: 404, no team to ask about",
      session: { decision: undefined },
      expected: { allowed: false, status: 404, message: "no such call" },
    },
    {
      name: "a call not recorded: 404, like an unknown one",
      session: { decision: skipDecision },
      expected: { allowed: false, status: 404, message: "no such call" },
    },
    {
      name: "a required recording: 403, explained — whatever its stop settings say",
      session: {
        decision: recordDecision({
          teamId: "desk",
          ruleId: "record-all",
          stop: { allowed: true, reasons: ["customer-objection"] },
        }),
      },
      expected: {
        team: "desk",
        allowed: false,
        status: 403,
        message:
          "the recording is required (team desk, rule record-all): a required recording cannot be stopped on request",
      },
    },
    {
      name: "a best-effort recording whose policy does not allow stopping: 403",
      session: { decision: recordDecision({ teamId: "qa", mode: "best-effort" }) },
      expected: { team: "qa", allowed: false, status: 403, message: "the policy of team qa does not allow stopping" },
    },
    {
      name: "stopping allowed, a reason the policy does not list: 403 naming the accepted ones",
      session: {},
      reason: "too-long",
      expected: {
        team: "contact-centre",
        allowed: false,
        status: 403,
        message:
          "reason too-long is not one the policy of team contact-centre accepts: customer-objection, wrong-number",
      },
    },
    {
      name: "no recording yet: 409",
      session: { recordingId: undefined },
      expected: { team: "contact-centre", allowed: false, status: 409, message: "the call has no recording yet" },
    },
    {
      name: "the call has ended: 409",
      session: { ended: true },
      expected: { team: "contact-centre", allowed: false, status: 409, message: "the call has ended" },
    },
    {
      name: "already stopped: 409, saying by whom",
      session: { stops: stoppedBy("agent-2") },
      expected: {
        team: "contact-centre",
        allowed: false,
        status: 409,
        message: "the recording is already stopped (by agent-2: wrong-number)",
      },
    },
    {
      name: "allowed: the stop of the call's latest recording, once (its step), by whom and why",
      session: {},
      expected: {
        team: "contact-centre",
        allowed: true,
        step: "stop-recording:rec-1",
        job: {
          name: "stop-recording",
          payload: {
            serverCallId: "call-1",
            correlationId: "corr-1",
            recordingId: "rec-1",
            trigger: "request",
            by: "agent-7",
            reason: "customer-objection",
          },
        },
      },
    },
    {
      name: "an earlier recording's stop does not block stopping the latest",
      session: { recordingId: "rec-2", stops: stoppedBy("scope") },
      reason: "wrong-number",
      expected: {
        team: "contact-centre",
        allowed: true,
        step: "stop-recording:rec-2",
        job: {
          name: "stop-recording",
          payload: {
            serverCallId: "call-1",
            correlationId: "corr-1",
            recordingId: "rec-2",
            trigger: "request",
            by: "agent-7",
            reason: "wrong-number",
          },
        },
      },
    },
  ])("$name", ({ session, reason, expected }) => {
    expect(stopVerdict({ ...live, ...session }, { ...request, ...(reason ? { reason } : {}) })).toEqual(expected);
  });
});
