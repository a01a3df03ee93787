import { describe, expect, it } from "vitest";
import type { CallSession } from "../sessions/index.js";
import { recordDecision, skipDecision } from "../sessions/test-fixtures.js";
import { pauseVerdict, type PauseOperation, type PauseVerdict } from "./pause.js";

const pausable = recordDecision({ teamId: "payments", pause: { allowed: true, autoResumeSeconds: 120 } });
const paused = { at: "2026-01-01T10:00:00Z", by: "op-1", reason: "card-capture" };
type PauseFacts = Pick<CallSession, "serverCallId" | "decision" | "recordingId" | "ended" | "pause"> &
  Partial<Pick<CallSession, "consentAsked" | "consentAnswer" | "consentParties">>;
// A Californian customer who consented, and a joiner asked during the operator's pause (docs/consent-flow.md).
const CUSTOMER = "4:+14155550101";
const JOINER = "4:+14155550102";
const askOf = (target: string, at: string) =>
  JSON.stringify({
    requirement: "consent",
    at,
    decidedBy: { party: CUSTOMER, jurisdiction: "US-CA", set: "all-party-consent" },
    target,
    ...(target === CUSTOMER ? {} : { parties: [CUSTOMER, target] }),
    prompt: { text: "Press 1", locale: "en-US" },
    accept: { dtmf: ["1"], speech: [] },
    timeoutSeconds: 8,
    onRefusal: "record-nothing",
    onSilence: "end-call",
    explanation: "California",
  });
const answered = (outcome: string) => JSON.stringify({ outcome, at: "2026-01-01T10:00:30Z" });
const consented = { consentAsked: askOf(CUSTOMER, "2026-01-01T09:59:00Z"), consentAnswer: answered("given") };
const joinerAsked = (answer?: string) => ({
  ...consented,
  consentParties: {
    [JOINER]: { asked: askOf(JOINER, "2026-01-01T10:00:10Z"), ...(answer ? { answer: answered(answer) } : {}) },
  },
});
const live: PauseFacts = {
  serverCallId: "call-1",
  decision: pausable,
  recordingId: "rec-1",
  ended: false,
  pause: undefined,
};
const request = { by: "op-2", reason: "card-capture" };

describe("pauseVerdict", () => {
  it.each<{
    name: string;
    operation: PauseOperation;
    session: Partial<PauseFacts>;
    expected: PauseVerdict;
  }>([
    {
      name: "an unknown call: 404, no team to ask about",
      operation: "pause",
      session: { decision: undefined },
      expected: { allowed: false, status: 404, message: "no such call" },
    },
    {
      name: "a call not recorded: 404, like an unknown one",
      operation: "resume",
      session: { decision: skipDecision },
      expected: { allowed: false, status: 404, message: "no such call" },
    },
    {
      name: "the policy does not allow pausing: 403",
      operation: "pause",
      session: { decision: recordDecision({ teamId: "sales" }) },
      expected: {
        team: "sales",
        allowed: false,
        status: 403,
        message: "the policy of team sales does not allow pausing",
      },
    },
    {
      name: "pausing forbidden explicitly: 403 for resume too",
      operation: "resume",
      session: { decision: recordDecision({ pause: { allowed: false, autoResumeSeconds: null } }), pause: paused },
      expected: { team: "t", allowed: false, status: 403, message: "the policy of team t does not allow pausing" },
    },
    {
      name: "no recording yet: 409",
      operation: "pause",
      session: { decision: pausable, recordingId: undefined },
      expected: { team: "payments", allowed: false, status: 409, message: "the call has no recording yet" },
    },
    {
      name: "the call has ended: 409",
      operation: "pause",
      session: { decision: pausable, ended: true },
      expected: { team: "payments", allowed: false, status: 409, message: "the call has ended" },
    },
    {
      name: "already paused: 409 naming who paused",
      operation: "pause",
      session: { decision: pausable, pause: paused },
      expected: { team: "payments", allowed: false, status: 409, message: "already paused by op-1" },
    },
    {
      name: "resume of a recording paused until a joiner consents: 409 (docs/consent-flow.md)",
      operation: "resume",
      session: { decision: pausable, pause: { at: "2026-01-01T10:00:00Z", by: "consent", reason: "joiner" } },
      expected: {
        team: "payments",
        allowed: false,
        status: 409,
        message: "paused until everyone on the call has consented to recording",
      },
    },
    {
      name: "resume of a recording not paused: 409",
      operation: "resume",
      session: { decision: pausable },
      expected: { team: "payments", allowed: false, status: 409, message: "the recording is not paused" },
    },
    {
      name: "pause allowed: the pause job with the policy's automatic resume",
      operation: "pause",
      session: { decision: pausable },
      expected: {
        team: "payments",
        allowed: true,
        job: {
          name: "pause-recording",
          payload: {
            serverCallId: "call-1",
            recordingId: "rec-1",
            by: "op-2",
            reason: "card-capture",
            autoResumeSeconds: 120,
          },
        },
      },
    },
    {
      name: "resume allowed: the resume job, by whoever asks",
      operation: "resume",
      session: { decision: pausable, pause: paused },
      expected: {
        team: "payments",
        allowed: true,
        job: { name: "resume-recording", payload: { serverCallId: "call-1", recordingId: "rec-1", by: "op-2" } },
      },
    },
    {
      name: "resume while a joiner asked during the pause has not answered: accepted, held for their consent",
      operation: "resume",
      session: { decision: pausable, pause: paused, ...joinerAsked() },
      expected: {
        team: "payments",
        allowed: true,
        job: { name: "resume-recording", payload: { serverCallId: "call-1", recordingId: "rec-1", by: "op-2" } },
        heldForConsentOf: JOINER,
      },
    },
    {
      name: "resume while a joiner refused (the fallback on its way): held too, never resumed with them on it",
      operation: "resume",
      session: { decision: pausable, pause: paused, ...joinerAsked("refused") },
      expected: {
        team: "payments",
        allowed: true,
        job: { name: "resume-recording", payload: { serverCallId: "call-1", recordingId: "rec-1", by: "op-2" } },
        heldForConsentOf: JOINER,
      },
    },
    {
      name: "resume once the joiner consented: resumed, nothing held",
      operation: "resume",
      session: { decision: pausable, pause: paused, ...joinerAsked("given") },
      expected: {
        team: "payments",
        allowed: true,
        job: { name: "resume-recording", payload: { serverCallId: "call-1", recordingId: "rec-1", by: "op-2" } },
      },
    },
  ])("$name", ({ operation, session, expected }) => {
    expect(pauseVerdict(operation, { ...live, ...session }, request)).toEqual(expected);
  });
});
