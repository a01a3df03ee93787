import { describe, expect, it } from "vitest";
import type { CallSession, UnarchivedParty } from "../../../src/sessions/index.js";
import { recordDecision } from "../../../src/sessions/test-fixtures.js";
import { consentFallbackJob, OUR_SIDE_START_OWNER } from "./consent-fallback.js";

// record-our-side-only (docs/consent-flow.md "Our side only"): the strip set first, then a start (no recording yet)
// or a resume (a recording paused for a joiner's consent).

const AGENT = "8:acs:agent";
const CUSTOMER = "4:+14155550123";
const JOINER = "8:acs:joiner";
const asked = (target: string, parties?: string[]) =>
  JSON.stringify({
    requirement: "consent",
    at: "2026-12-04T10:00:01Z",
    decidedBy: { party: CUSTOMER, jurisdiction: "US-CA", set: "all-party-consent" },
    target,
    ...(parties ? { parties } : {}),
    prompt: { text: "Press 1", locale: "en-US" },
    accept: { dtmf: ["1"], speech: [] },
    timeoutSeconds: 5,
    onRefusal: "record-our-side-only",
    onSilence: "record-our-side-only",
    explanation: "",
  });
const answer = (outcome: string) => JSON.stringify({ outcome, at: "2026-12-04T10:00:04Z" });

const unmixed = recordDecision({
  recording: {
    content: "audio",
    channel: "unmixed",
    format: "wav",
    pauseOnStart: false,
    storage: { kind: "customer", containerUrl: "https://acct.blob.core.windows.net/rec" },
    participantOrdering: [CUSTOMER, AGENT],
  },
  inScope: [AGENT],
});

const session = (changes: Partial<CallSession>) =>
  ({
    serverCallId: "call-1",
    correlationId: "corr-1",
    participants: [AGENT, CUSTOMER],
    ended: false,
    presence: [],
    stops: {},
    recordings: {},
    decision: unmixed,
    callConnectionId: "conn-1",
    consentAsked: asked(CUSTOMER),
    consentAnswer: answer("refused"),
    ...changes,
  }) as CallSession;

function fakes(read: CallSession, options: { claim?: boolean } = {}) {
  const calls: string[] = [];
  const started: unknown[] = [];
  const unarchived: Record<string, UnarchivedParty> = { ...read.unarchivedParties };
  const actions: { action: string }[] = [];
  const claims: [string, string | undefined][] = [];
  let current = read;
  const quiet = () => undefined;
  const deps = {
    sessions: {
      get: async () => current,
      addUnarchivedParties: async (_call: string, parties: Record<string, UnarchivedParty>) => {
        calls.push("addUnarchivedParties");
        for (const [party, entry] of Object.entries(parties)) unarchived[party] ??= entry;
        current = { ...current, unarchivedParties: { ...unarchived } };
        return current;
      },
      claim: async (_call: string, step: string, owner?: string) => {
        calls.push("claim");
        claims.push([step, owner]);
        return options.claim ?? true;
      },
      updateRecording: async () => ({ outcome: {}, session: current }),
      setPause: async (_call: string, pause: unknown) => calls.push(`setPause:${String(pause)}`),
    },
    correlation: { noteRecording: async () => undefined },
    callbackUri: "https://recorder.example/api/callbacks",
    acs: {
      getCallRecording: () => ({
        start: async (options: unknown) => {
          calls.push("start");
          started.push(options);
          return { recordingId: "rec-1" };
        },
        resume: async (recordingId: string) => calls.push(`resume:${recordingId}`),
      }),
    },
    ledger: { noteAction: async (_call: string, action: { action: string }) => actions.push(action) },
    logger: { info: quiet, warn: quiet, error: quiet, debug: quiet, child: () => deps.logger },
  };
  return { calls, started, actions, unarchived, claims, deps: deps as never };
}

const run = (deps: never, party?: string) =>
  consentFallbackJob.perform(
    deps,
    {
      serverCallId: "call-1",
      correlationId: "corr-1",
      callConnectionId: "conn-1",
      fallback: "record-our-side-only",
      reason: "refused",
      ...(party ? { party } : {}),
    },
    { attempt: 1, progress: async () => undefined },
  );

describe("consent-fallback: record-our-side-only", () => {
  it("no recording yet: the refuser on record first, then a start unmixed, our agent first, in ACS's storage", async () => {
    const { calls, started, actions, unarchived, claims, deps } = fakes(session({}));
    await run(deps);
    expect(calls).toEqual(["addUnarchivedParties", "claim", "start"]);
    // Claimed with an owner, so that this job's own retry may claim the start again.
    expect(claims).toEqual([["start-recording", OUR_SIDE_START_OWNER]]);
    expect(Object.keys(unarchived)).toEqual([CUSTOMER]);
    expect(unarchived[CUSTOMER]?.why).toBe("refused");
    const [options] = started as Record<string, unknown>[];
    expect(options).toMatchObject({ recordingChannel: "unmixed", recordingFormat: "wav" });
    expect(options).not.toHaveProperty("recordingStorage");
    expect(options?.audioChannelParticipantOrdering).toMatchObject([
      { communicationUserId: AGENT },
      { phoneNumber: CUSTOMER.slice(2) },
    ]);
    expect(actions).toMatchObject([{ action: "record-our-side-only" }]);
  });

  it("a joiner refuses while the recording is paused for their consent: added to the set, the recording resumed", async () => {
    const read = session({
      consentAnswer: answer("given"),
      consentParties: { [JOINER]: { asked: asked(JOINER, [CUSTOMER, JOINER]), answer: answer("refused") } },
      recordingId: "rec-1",
      recordings: { "rec-1": {} as never },
      pause: {
        at: "2026-12-04T10:01:00Z",
        by: "consent",
        reason: `${JOINER}'s consent is outstanding while recording`,
      },
    });
    const { calls, started, actions, unarchived, deps } = fakes(read);
    await run(deps, JOINER);
    expect(Object.keys(unarchived)).toEqual([JOINER]);
    expect(calls).toEqual(["addUnarchivedParties", "resume:rec-1", "setPause:undefined"]);
    expect(started).toEqual([]);
    expect(actions).toMatchObject([{ action: "record-our-side-only" }]);
  });

  it("a pause on purpose for something else (PCI) is not lifted", async () => {
    const read = session({
      consentAnswer: answer("given"),
      recordingId: "rec-1",
      recordings: { "rec-1": {} as never },
      pause: { at: "2026-12-04T10:01:00Z", by: "operator", reason: "card number, not for consent" },
    });
    const { calls, deps } = fakes(read);
    await run(deps, JOINER);
    expect(calls).toEqual(["addUnarchivedParties"]);
  });

  it("the start claimed elsewhere and no recording known yet: retried, nothing started", async () => {
    const { calls, deps } = fakes(session({}), { claim: false });
    await expect(run(deps)).rejects.toThrow(/retried/);
    expect(calls).toEqual(["addUnarchivedParties", "claim"]);
  });

  it("a mixed recording (a decision of an older policy): nothing recorded, alerted", async () => {
    const { calls, actions, deps } = fakes(session({ decision: recordDecision() }));
    await run(deps);
    expect(calls).toEqual([]);
    expect(actions).toMatchObject([{ action: "alert" }]);
  });
});
