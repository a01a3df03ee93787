// Consent and notice by jurisdiction, end to end (issue 20; docs/consent-flow.md): a desk agent calls customers in
// California (all-party consent: asked, by key or by voice) and in the UK (notice only). The simulator plays the
// customer: presses 1, says yes, presses 2, or says nothing (recognize, docs/acs-payloads.md "Recognize").
import { rm } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLedger, type LedgerEntry } from "../../src/ledger/index.js";
import type { RecognizeAnswerScript } from "../../simulator/types.js";
import { californianNumber, consentPolicyDir, consentTeamPolicy } from "../support/consent.js";
import { eventually, startStack, type Stack } from "../support/stack.js";

const RESOURCE = "5e1f7a2c-0d3b-4c8e-9a61-2f4b8c7d9e10";
const AGENT = `8:acs:${RESOURCE}_consent-agent`;
const CALIFORNIA = californianNumber(1000);
/** A London number (UK: notice only). */
const LONDON = "4:+442079460123";
/** Customers on ACS (no number to place them): the team directory lists one in California, the other nowhere. */
const ACS_CALIFORNIAN = `8:acs:${RESOURCE}_consent-customer-ca`;
const ACS_UNLISTED = `8:acs:${RESOURCE}_consent-customer-unlisted`;
const DIRECTORY = `
version: 1
team: consent-desk
people:
  - { id: "${AGENT}", displayName: Desk Agent, role: agent, location: GB }
  - { id: "${ACS_CALIFORNIAN}", displayName: Cal Customer, role: customer, location: US-CA }
  - { id: "${ACS_UNLISTED}", displayName: Una Listed, role: customer }
`;

const POLICY = consentTeamPolicy({
  id: "consent-desk",
  name: "Consent desk",
  members: [AGENT],
  accept: '{ dtmf: "1", speech: [yes, "i agree"] }',
  onRefusal: "record-nothing",
  onSilence: "end-call",
});

const TOKEN = "consent-desk-reviewer-token";
let stack: Stack;
let policyDir: string;
beforeAll(async () => {
  const { dir, tokensFile } = await consentPolicyDir(
    "consent-policies-",
    { "consent-desk.yaml": POLICY, "consent-desk.directory.yaml": DIRECTORY },
    [{ name: "desk-reviewer", role: "team", team: "consent-desk", value: TOKEN }],
  );
  policyDir = dir;
  stack = await startStack({ policyDir, env: { API_TOKENS_FILE: tokensFile } });
}, 60_000);
afterAll(async () => {
  await stack?.stop();
  if (policyDir) await rm(policyDir, { recursive: true, force: true });
});

const requestsOf = (serverCallId: string, operation: string) =>
  stack.simulator.requests().filter((r) => r.operation === operation && r.serverCallId === serverCallId);
const view = (serverCallId: string) => stack.simulator.getCall(serverCallId);
const ledger = () => createLedger(stack.runtime.redis, stack.config.REDIS_PREFIX);
const consentAnswer = async (serverCallId: string) => {
  const raw = (await stack.runtime.sessions.get(serverCallId)).consentAnswer;
  return raw ? (JSON.parse(raw) as { outcome: string; at: string; heard?: string; subCode?: number }) : undefined;
};
const ledgerEntry = (serverCallId: string, what: string, where: (e: LedgerEntry) => boolean) =>
  eventually(
    async () => {
      const entry = await ledger().get(serverCallId);
      return entry && where(entry) ? entry : undefined;
    },
    30_000,
    what,
  );

/** A call from the agent to a customer who answers the consent prompt as scripted (nothing: silent). */
async function callCustomer(customer: string, answer?: RecognizeAnswerScript) {
  const { serverCallId } = await stack.simulator.placeCall({ from: AGENT, to: customer, durationMs: 120_000 });
  if (answer) await stack.simulator.scriptRecognizeAnswer(serverCallId, customer, answer);
  return serverCallId;
}

/** A WAV chunk's audio length in ms (16-bit PCM, the header's byte rate). */
async function wavDurationMs(blob: string): Promise<number> {
  const bytes = await stack.runtime.container.getBlockBlobClient(blob).downloadToBuffer();
  const byteRate = bytes.readUInt32LE(28);
  const dataAt = bytes.indexOf("data", 12);
  const dataBytes = bytes.readUInt32LE(dataAt + 4);
  return (dataBytes / byteRate) * 1000;
}

/**
 * Consent given: recording starts only after the answer, and what is archived holds nothing from before it — the
 * recording was requested after the consent, and its audio is no longer than the time from consent to the end.
 */
async function expectRecordedAfterConsent(serverCallId: string, customer: string, heard: string) {
  const recording = await eventually(
    () => view(serverCallId)?.recordings.find((r) => r.state === "active"),
    20_000,
    "the recording to be active",
  );
  const answer = await consentAnswer(serverCallId);
  expect(answer).toMatchObject({ outcome: "given", heard });
  const consentAt = Date.parse(answer?.at ?? "");
  // Asked of the customer's leg, before any recording existed.
  const [recognized] = view(serverCallId)?.recognitions ?? [];
  expect(recognized).toMatchObject({ target: customer, outcome: "RecognizeCompleted" });
  expect(Date.parse(recording.requestedAt)).toBeGreaterThanOrEqual(consentAt);
  expect(Date.parse(recording.activatedAt ?? "")).toBeGreaterThan(consentAt);
  expect(requestsOf(serverCallId, "startRecording")).toHaveLength(1);

  await new Promise((r) => setTimeout(r, 800));
  await stack.simulator.endCall(serverCallId);
  const endedAt = Date.now();
  const entry = await ledgerEntry(serverCallId, "the ledger to say recorded", (e) => e.outcome === "recorded");
  expect(entry.consent).toMatchObject({
    requirement: "consent",
    outcome: "given",
    heard,
    target: customer,
    decidedBy: { party: customer, jurisdiction: "US-CA", set: "all-party-consent" },
  });
  // The manifest and the recording detail API carry the same evidence.
  const manifest = JSON.parse(
    (await stack.runtime.container.getBlockBlobClient(entry.manifest ?? "").downloadToBuffer()).toString("utf8"),
  ) as { consent?: unknown; recording: { startTime: string } };
  expect(manifest.consent).toEqual(entry.consent);
  // ACS's own start time of the recording (its metadata, kept in the manifest) is after the consent.
  expect(Date.parse(manifest.recording.startTime)).toBeGreaterThan(consentAt);
  const detail = await eventually(
    async () => {
      const res = await fetch(`${stack.webhookUrl}/api/recordings/${encodeURIComponent(entry.recordingId ?? "")}`, {
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      return res.status === 200 ? ((await res.json()) as { consent: unknown }) : undefined;
    },
    10_000,
    "the recording's detail",
  );
  expect(detail.consent).toEqual(entry.consent);
  // The QA timeline shows the question and the answer, before the recording's start (src/retrieval/timeline.ts).
  const timeline = (await (
    await fetch(`${stack.webhookUrl}/api/recordings/${encodeURIComponent(entry.recordingId ?? "")}/timeline`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    })
  ).json()) as { events: { kind: string; who?: string; reason?: string; text: string }[] };
  const kinds = timeline.events.map((e) => e.kind);
  expect(kinds.indexOf("consent-asked")).toBeGreaterThanOrEqual(0);
  expect(kinds.indexOf("consent-answered")).toBeGreaterThan(kinds.indexOf("consent-asked"));
  expect(kinds.indexOf("recording-started")).toBeGreaterThan(kinds.indexOf("consent-answered"));
  expect(timeline.events.find((e) => e.kind === "consent-answered")).toMatchObject({
    who: entry.consent?.target,
    text: "Consent given",
    reason: entry.consent?.heard,
  });
  const chunk = entry.manifest?.replace(/manifest\.json$/, "chunk-0000.wav") ?? "";
  const audioMs = await wavDurationMs(chunk);
  expect(audioMs).toBeGreaterThan(0);
  expect(audioMs).toBeLessThanOrEqual(endedAt - consentAt + 50);
}

describe("consent by jurisdiction", () => {
  it("California, consent by DTMF 1: recorded from the consent on, nothing before", async () => {
    const customer = CALIFORNIA(1);
    const serverCallId = await callCustomer(customer, { kind: "dtmf", tones: ["1"], afterMs: 300 });
    await expectRecordedAfterConsent(serverCallId, customer, "dtmf 1");
  }, 60_000);

  it("California, consent by voice (“yes, I agree”): recorded from the consent on", async () => {
    const customer = CALIFORNIA(2);
    const serverCallId = await callCustomer(customer, { kind: "speech", phrase: "Yes, I agree", afterMs: 300 });
    await expectRecordedAfterConsent(serverCallId, customer, 'speech "Yes, I agree"');
  }, 60_000);

  it("an ACS customer the team directory places in California (US-CA) is asked, and recorded after consent", async () => {
    const serverCallId = await callCustomer(ACS_CALIFORNIAN, { kind: "dtmf", tones: ["1"], afterMs: 300 });
    // Decided as US-CA (checked there): only the directory can place an ACS user there.
    await expectRecordedAfterConsent(serverCallId, ACS_CALIFORNIAN, "dtmf 1");
  }, 60_000);

  it("an ACS customer the directory lists without a location is unknown: notice (the policy's *), nobody asked", async () => {
    const serverCallId = await callCustomer(ACS_UNLISTED);
    await eventually(
      async () => ((await consentAnswer(serverCallId))?.outcome === "notified" ? true : undefined),
      20_000,
      "the notice to be played",
    );
    expect(view(serverCallId)?.recognitions).toEqual([]);
    await stack.simulator.endCall(serverCallId);
  }, 60_000);

  it("three-party call, both customers consent: each asked on their own leg in turn, recorded after the last", async () => {
    const [first, second] = [CALIFORNIA(5), CALIFORNIA(6)];
    const { serverCallId } = await stack.simulator.placeCall({
      from: AGENT,
      to: first,
      additionalParticipants: [second],
      durationMs: 120_000,
    });
    await stack.simulator.scriptRecognizeAnswer(serverCallId, first, { kind: "dtmf", tones: ["1"], afterMs: 200 });
    await stack.simulator.scriptRecognizeAnswer(serverCallId, second, { kind: "dtmf", tones: ["1"], afterMs: 200 });
    const recording = await eventually(
      () => view(serverCallId)?.recordings.find((r) => r.state === "active"),
      20_000,
      "the recording to be active",
    );
    const recognitions = view(serverCallId)?.recognitions ?? [];
    expect(recognitions.map((r) => [r.target, r.outcome])).toEqual([
      [first, "RecognizeCompleted"],
      [second, "RecognizeCompleted"],
    ]);
    expect(requestsOf(serverCallId, "startRecording")).toHaveLength(1);
    await stack.simulator.endCall(serverCallId);
    const entry = await ledgerEntry(serverCallId, "the ledger to say recorded", (e) => e.outcome === "recorded");
    const parties = entry.consent?.parties ?? [];
    expect(parties).toMatchObject([
      { party: first, outcome: "given", heard: "dtmf 1" },
      { party: second, outcome: "given", heard: "dtmf 1" },
    ]);
    // Recording was requested only after the last consent.
    const lastConsent = Math.max(...parties.map((p) => Date.parse(p.answeredAt ?? "")));
    expect(Date.parse(recording.requestedAt)).toBeGreaterThanOrEqual(lastConsent);
    expect(entry.consent).toMatchObject({ target: second, outcome: "given" });
    const manifest = JSON.parse(
      (await stack.runtime.container.getBlockBlobClient(entry.manifest ?? "").downloadToBuffer()).toString("utf8"),
    ) as { consent?: unknown };
    expect(manifest.consent).toEqual(entry.consent);
  }, 60_000);

  it("three-party call, the first consents and the second refuses → record-nothing", async () => {
    const [first, second] = [CALIFORNIA(7), CALIFORNIA(8)];
    const { serverCallId } = await stack.simulator.placeCall({
      from: AGENT,
      to: first,
      additionalParticipants: [second],
      durationMs: 120_000,
    });
    await stack.simulator.scriptRecognizeAnswer(serverCallId, first, { kind: "dtmf", tones: ["1"], afterMs: 200 });
    await stack.simulator.scriptRecognizeAnswer(serverCallId, second, { kind: "dtmf", tones: ["2"], afterMs: 200 });
    const actions = await eventually(
      async () => (await ledger().get(serverCallId))?.actions?.filter((a) => a.trigger === "consent"),
      20_000,
      "the consent action on the ledger",
    );
    expect(actions).toMatchObject([{ action: "record-nothing" }]);
    expect(view(serverCallId)?.recognitions.map((r) => r.target)).toEqual([first, second]);
    await new Promise((r) => setTimeout(r, 1000));
    expect(requestsOf(serverCallId, "startRecording")).toEqual([]);
    expect(view(serverCallId)?.state).toBe("established");
    await stack.simulator.endCall(serverCallId);
    const entry = await ledgerEntry(serverCallId, "the ended call's entry", (e) => e.endedAt !== undefined);
    expect(entry).toMatchObject({
      outcome: "exempt",
      consent: { target: second, outcome: "refused", heard: "dtmf 2", fallback: "record-nothing" },
    });
    expect(entry.consent?.parties?.map((p) => [p.party, p.outcome])).toEqual([
      [first, "given"],
      [second, "refused"],
    ]);
    expect(view(serverCallId)?.recordings).toEqual([]);
  }, 60_000);

  it("California, refusal (DTMF 2) → record-nothing: no recording, the call goes on, the ledger says why", async () => {
    const customer = CALIFORNIA(3);
    const serverCallId = await callCustomer(customer, { kind: "dtmf", tones: ["2"], afterMs: 200 });
    await eventually(
      async () => ((await consentAnswer(serverCallId))?.outcome === "refused" ? true : undefined),
      20_000,
      "the refusal",
    );
    const actions = await eventually(
      async () => (await ledger().get(serverCallId))?.actions?.filter((a) => a.trigger === "consent"),
      10_000,
      "the consent action on the ledger",
    );
    expect(actions).toMatchObject([{ action: "record-nothing" }]);
    await new Promise((r) => setTimeout(r, 1500));
    expect(view(serverCallId)?.state).toBe("established"); // the call goes on
    expect(requestsOf(serverCallId, "startRecording")).toEqual([]);
    expect(requestsOf(serverCallId, "terminate")).toEqual([]);
    await stack.simulator.endCall(serverCallId);
    const entry = await ledgerEntry(serverCallId, "the ledger entry of the ended call", (e) => e.endedAt !== undefined);
    expect(entry).toMatchObject({
      outcome: "exempt",
      consent: { outcome: "refused", heard: "dtmf 2", fallback: "record-nothing" },
    });
    expect(entry.reason).toMatch(/consent refused/);
    expect(view(serverCallId)?.recordings).toEqual([]);
  }, 60_000);

  it("California, silence → end-call: RecognizeFailed 8510, the call is ended, nothing recorded", async () => {
    const customer = CALIFORNIA(4);
    const serverCallId = await callCustomer(customer);
    await eventually(() => (view(serverCallId)?.state === "ended" ? true : undefined), 20_000, "the call to be ended");
    expect(requestsOf(serverCallId, "terminate").map((r) => r.status)).toEqual([204]);
    expect(requestsOf(serverCallId, "startRecording")).toEqual([]);
    expect(view(serverCallId)?.recognitions).toMatchObject([
      { target: customer, outcome: "RecognizeFailed", subCode: 8510 },
    ]);
    const entry = await ledgerEntry(
      serverCallId,
      "the ledger entry",
      (e) => e.consent?.outcome === "silent" && e.endedAt !== undefined,
    );
    expect(entry).toMatchObject({ outcome: "exempt", consent: { fallback: "end-call", subCode: 8510 } });
    expect(entry.actions?.filter((a) => a.trigger === "consent")).toMatchObject([{ action: "hang-up" }]);
  }, 60_000);

  it("London, notice only: the announcement is played before recording starts, nobody is asked", async () => {
    const serverCallId = await callCustomer(LONDON);
    const recording = await eventually(
      () => view(serverCallId)?.recordings.find((r) => r.state === "active"),
      20_000,
      "the recording to be active",
    );
    const [play] = requestsOf(serverCallId, "play");
    expect(play).toBeDefined();
    expect(Date.parse(recording.requestedAt)).toBeGreaterThan(Date.parse(play?.at ?? ""));
    const answer = await consentAnswer(serverCallId);
    expect(answer?.outcome).toBe("notified");
    expect(Date.parse(recording.requestedAt)).toBeGreaterThanOrEqual(Date.parse(answer?.at ?? ""));
    expect(view(serverCallId)?.recognitions).toEqual([]);
    await stack.simulator.endCall(serverCallId);
    const entry = await ledgerEntry(serverCallId, "the ledger to say recorded", (e) => e.outcome === "recorded");
    expect(entry.consent).toMatchObject({
      requirement: "notice",
      outcome: "notified",
      decidedBy: { jurisdiction: "GB" },
    });
  }, 60_000);

  it("London, the notice cannot be played (ACS refuses the play): nothing is recorded, the ledger says why", async () => {
    stack.simulator.addFault({ target: "play", kind: "status", status: 400, times: 10 });
    try {
      const serverCallId = await callCustomer("4:+442079460124");
      const entry = await eventually(
        async () => {
          const found = await ledger().get(serverCallId);
          return found?.actions?.some((a) => a.trigger === "consent") ? found : undefined;
        },
        40_000,
        "the consent action on the ledger",
      );
      expect(entry.actions?.filter((a) => a.trigger === "consent")).toMatchObject([{ action: "record-nothing" }]);
      expect(await consentAnswer(serverCallId)).toMatchObject({ outcome: "failed" });
      expect(requestsOf(serverCallId, "startRecording")).toEqual([]);
      await stack.simulator.endCall(serverCallId);
      const ended = await ledgerEntry(serverCallId, "the ended call's entry", (e) => e.endedAt !== undefined);
      expect(ended).toMatchObject({ outcome: "exempt", consent: { requirement: "notice", outcome: "failed" } });
      expect(ended.reason).toMatch(/notice .* could not be played/);
    } finally {
      stack.simulator.clearFaults();
    }
  }, 60_000);
});
