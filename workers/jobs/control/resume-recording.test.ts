import { describe, expect, it } from "vitest";
import type { CallSession, PauseState } from "../../../src/sessions/index.js";
import { resumeRecordingJob } from "./resume-recording.js";

// An operator's (or the automatic) resume while someone asked has not consented hands the pause to the consent flow
// instead of resuming (docs/consent-flow.md "A joiner during an operator's pause"); a rerun does not resume either,
// and plans the call again.

const CUSTOMER = "4:+14155550101";
const JOINER = "4:+14155550102";
const askOf = (target: string) =>
  JSON.stringify({
    requirement: "consent",
    at: target === CUSTOMER ? "2026-12-04T10:00:01Z" : "2026-12-04T10:01:01Z",
    decidedBy: { party: CUSTOMER, jurisdiction: "US-CA", set: "all-party-consent" },
    target,
    ...(target === CUSTOMER ? {} : { parties: [CUSTOMER, target] }),
    prompt: { text: "Press 1", locale: "en-US" },
    accept: { dtmf: ["1"], speech: [] },
    timeoutSeconds: 5,
    onRefusal: "record-nothing",
    onSilence: "end-call",
    explanation: "",
  });
const given = JSON.stringify({ outcome: "given", at: "2026-12-04T10:00:04Z" });
const pci: PauseState = { at: "2026-12-04T10:01:00Z", by: "desk-operator", reason: "card-capture" };

const session = (pause: PauseState | undefined, joinerAnswer?: string): CallSession => {
  const joiner: { asked: string; answer?: string } = { asked: askOf(JOINER) };
  if (joinerAnswer) joiner.answer = joinerAnswer;
  return {
    serverCallId: "call-1",
    correlationId: "corr-1",
    participants: [],
    ended: false,
    presence: [],
    stops: {},
    recordings: {},
    recordingId: "rec-1",
    pause,
    consentAsked: askOf(CUSTOMER),
    consentAnswer: given,
    consentParties: { [JOINER]: joiner },
  } as Partial<CallSession> as CallSession;
};

/** Fakes that keep the pauses written and ACS's resumes; `advance` meets no policy, so it only settles. */
function fakes(initial: CallSession) {
  let read = initial;
  const resumed: string[] = [];
  const pauses: (PauseState | undefined)[] = [];
  let settled = 0;
  const quiet = () => undefined;
  const deps = {
    sessions: {
      get: async () => read,
      setPause: async (_call: string, pause: PauseState | undefined) => {
        pauses.push(pause);
        read = { ...read, pause };
      },
      settle: async () => {
        settled += 1;
        return new Set();
      },
    },
    acs: { getCallRecording: () => ({ resume: async (id: string) => void resumed.push(id) }) },
    policies: () => [],
    policiesFor: () => undefined,
    consentEnvironment: () => null,
    queues: { enqueue: async () => undefined, remove: async () => undefined },
    logger: { info: quiet, warn: quiet, error: quiet, debug: quiet },
  };
  return { resumed, pauses, settled: () => settled, deps: deps as never };
}

const run = (deps: never, payload: { by: string; pausedAt?: string }) =>
  resumeRecordingJob.perform(
    deps,
    { serverCallId: "call-1", recordingId: "rec-1", ...payload },
    { attempt: 1, progress: async () => undefined },
  );

describe("resume-recording", () => {
  it.each([
    ["the operator's resume", { by: "desk-operator" }],
    ["the automatic resume of that pause", { by: "automatic resume", pausedAt: pci.at }],
  ])("%s while the joiner's answer is awaited: not resumed, the pause handed over, planned again", async (_n, p) => {
    const { resumed, pauses, settled, deps } = fakes(session(pci));
    await run(deps, p);
    expect(resumed).toEqual([]);
    expect(pauses).toMatchObject([{ at: pci.at, by: "consent" }]);
    expect(settled()).toBe(1);
    // Redelivered: still not resumed, the pause kept as handed over, the call planned again.
    await run(deps, p);
    expect(resumed).toEqual([]);
    expect(pauses).toHaveLength(1);
    expect(settled()).toBe(2);
  });

  it("a joiner who refused: held too (the fallback stops the recording or ends the call)", async () => {
    const refused = JSON.stringify({ outcome: "refused", at: "2026-12-04T10:01:05Z" });
    const { resumed, deps } = fakes(session(pci, refused));
    await run(deps, { by: "desk-operator" });
    expect(resumed).toEqual([]);
  });

  it("once everyone consented: the operator resumes; the consent flow resumes its own pause", async () => {
    const done = fakes(session(pci, given));
    await run(done.deps, { by: "desk-operator" });
    expect(done.resumed).toEqual(["rec-1"]);
    expect(done.pauses).toEqual([undefined]);
    const ours = fakes(session({ ...pci, by: "consent" }, given));
    await run(ours.deps, { by: "consent", pausedAt: pci.at });
    expect(ours.resumed).toEqual(["rec-1"]);
  });
});
