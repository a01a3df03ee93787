// Joiners once recording has started, and the start window, end to end (issue 20; docs/consent-flow.md "Joiners once
// recording has started"): a desk agent's call with a Californian customer who consented is being recorded when a
// second Californian joins. The recording is paused before they are asked (on their own leg), resumed on consent,
// stopped on a refusal (record-nothing), and the call is ended on silence (end-call). The simulator plays the people
// (scriptRecognizeAnswer) and keeps ACS's pause intervals in the recording's metadata (pauseResumeIntervals).
import { rm } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLedger, type LedgerEntry } from "../../src/ledger/index.js";
import { QueueName } from "../../src/queues/index.js";
import type { RecognizeAnswerScript } from "../../simulator/types.js";
import {
  agentLeaves,
  californianNumber,
  consentPolicyDir,
  consentTeamPolicy,
  threeWayCall,
} from "../support/consent.js";
import { eventually, startStack, type Stack } from "../support/stack.js";

const RESOURCE = "7a0c2e51-3b9d-4f6e-8c12-5d4e3f2a1b90";
const AGENT = `8:acs:${RESOURCE}_joiners-agent`;
const CALIFORNIA = californianNumber(2000);
/** London numbers (UK: notice only, the policy's "*"). */
const LONDON = (n: number) => `4:+44207946${String(1000 + n)}`;

const POLICY = consentTeamPolicy({
  id: "joiners-desk",
  name: "Joiners desk",
  members: [AGENT],
  ruleLines: "    pause: { allowed: true, autoResumeSeconds: 60 }",
  accept: '{ dtmf: "1", speech: [yes] }',
  onRefusal: "record-nothing",
  onSilence: "end-call",
});

const OPERATOR_TOKEN = "joiners-desk-operator-token";

let stack: Stack;
let policyDir: string;
beforeAll(async () => {
  const { dir, tokensFile } = await consentPolicyDir("consent-joiners-", { "joiners-desk.yaml": POLICY }, [
    { name: "desk-operator", role: "team", team: "joiners-desk", value: OPERATOR_TOKEN },
  ]);
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
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** The calls API's PCI pause or resume, as the desk's operator (docs/api.md "PCI pause/resume"). */
const operator = (serverCallId: string, operation: "pause" | "resume") =>
  fetch(`${stack.webhookUrl}/api/calls/${encodeURIComponent(serverCallId)}/recording:${operation}`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${OPERATOR_TOKEN}` },
    body: JSON.stringify({ reason: "card-capture" }),
  });
const ledgerEntry = (serverCallId: string, what: string, where: (e: LedgerEntry) => boolean) =>
  eventually(
    async () => {
      const entry = await ledger().get(serverCallId);
      return entry && where(entry) ? entry : undefined;
    },
    30_000,
    what,
  );
/** The joiner's evidence in the session: their ask and answer (consentAsked:<party> / consentAnswer:<party>). */
const joinerEvidence = async (serverCallId: string, party: string) => {
  const facts = (await stack.runtime.sessions.get(serverCallId)).consentParties?.[party];
  return {
    asked: facts?.asked ? (JSON.parse(facts.asked) as { at: string; target: string }) : undefined,
    answer: facts?.answer ? (JSON.parse(facts.answer) as { outcome: string; at: string }) : undefined,
  };
};

/** A call from the agent to a customer who consents (DTMF 1); resolves once its recording is active. */
async function recordedCall(customer: string) {
  const { serverCallId } = await stack.simulator.placeCall({ from: AGENT, to: customer, durationMs: 120_000 });
  await stack.simulator.scriptRecognizeAnswer(serverCallId, customer, { kind: "dtmf", tones: ["1"], afterMs: 200 });
  await eventually(
    () => view(serverCallId)?.recordings.find((r) => r.state === "active"),
    20_000,
    "the recording to be active",
  );
  return serverCallId;
}

/** A call from the agent to a customer who is only told (a notice); resolves once its recording is active. */
async function noticedCall(customer: string) {
  const { serverCallId } = await stack.simulator.placeCall({ from: AGENT, to: customer, durationMs: 120_000 });
  await eventually(
    () => view(serverCallId)?.recordings.find((r) => r.state === "active"),
    20_000,
    "the recording to be active after the notice",
  );
  return serverCallId;
}

/**
 * A person joins the recorded call, answering as scripted (none: silent). Returns the moment just before the join
 * (the simulator runs in this process: its clock is ours), so `pause − joinedAt` bounds the exposure from above.
 */
async function joinCall(serverCallId: string, joiner: string, answer?: RecognizeAnswerScript) {
  if (answer) await stack.simulator.scriptRecognizeAnswer(serverCallId, joiner, answer);
  const joinedAt = Date.now();
  await stack.simulator.addParticipant(serverCallId, joiner);
  return joinedAt;
}

/** The pause is before the joiner is asked; returns its request's arrival at the simulator and the exposure. */
function expectPausedBeforeAsked(serverCallId: string, joiner: string, joinedAt: number) {
  const pauses = requestsOf(serverCallId, "pauseRecording");
  expect(pauses.map((p) => p.status)).toEqual([202]);
  const pausedAt = Date.parse(pauses[0]?.at ?? "");
  const recognitions = view(serverCallId)?.recognitions ?? [];
  const asked = recognitions.find((r) => r.target === joiner);
  expect(asked).toBeDefined();
  // Asked on the joiner's own leg, only once ACS had the pause.
  expect(Date.parse(asked?.requestedAt ?? "")).toBeGreaterThanOrEqual(pausedAt);
  return { pausedAt, exposureMs: pausedAt - joinedAt, asked };
}

describe("consent of a person who joins once recording has started", () => {
  it("the joiner consents: paused before they are asked, resumed after, the archive shows the paused interval", async () => {
    const [customer, joiner] = [CALIFORNIA(1), CALIFORNIA(2)];
    const serverCallId = await recordedCall(customer);
    await sleep(400);
    const joinedAt = await joinCall(serverCallId, joiner, { kind: "dtmf", tones: ["1"], afterMs: 300 });
    await eventually(
      () => (requestsOf(serverCallId, "resumeRecording").length > 0 ? true : undefined),
      20_000,
      "the recording to be resumed",
    );
    const { pausedAt, exposureMs, asked } = expectPausedBeforeAsked(serverCallId, joiner, joinedAt);
    expect(asked).toMatchObject({ outcome: "RecognizeCompleted" });
    // The joiner's question and answer on record (session), and the resume only after their consent.
    const evidence = await joinerEvidence(serverCallId, joiner);
    expect(evidence.answer).toMatchObject({ outcome: "given" });
    expect(Date.parse(evidence.asked?.at ?? "")).toBeGreaterThanOrEqual(pausedAt);
    const [resume] = requestsOf(serverCallId, "resumeRecording");
    const resumedAt = Date.parse(resume?.at ?? "");
    expect(resumedAt).toBeGreaterThanOrEqual(Date.parse(evidence.answer?.at ?? ""));
    expect(requestsOf(serverCallId, "resumeRecording")).toHaveLength(1);
    expect(view(serverCallId)?.recordings.map((r) => r.state)).toEqual(["active"]);
    expect((await stack.runtime.sessions.get(serverCallId)).pause).toBeUndefined();
    console.info(`consent joiner: audio recorded between join and pause ≤ ${exposureMs} ms (simulator clock)`);
    expect(exposureMs).toBeLessThan(3_000);

    await sleep(300);
    await stack.simulator.endCall(serverCallId);
    const entry = await ledgerEntry(serverCallId, "the ledger to say recorded", (e) => e.outcome === "recorded");
    expect(entry.consent?.parties?.map((p) => [p.party, p.outcome])).toEqual([
      [customer, "given"],
      [joiner, "given"],
    ]);
    // ACS's pause interval (metadata pauseResumeIntervals), kept in the signed manifest: from the pause to the resume.
    const manifest = JSON.parse(
      (await stack.runtime.container.getBlockBlobClient(entry.manifest ?? "").downloadToBuffer()).toString("utf8"),
    ) as { consent?: unknown; pauses: { startTime: string; durationMs: number }[] };
    expect(manifest.consent).toEqual(entry.consent);
    expect(manifest.pauses).toHaveLength(1);
    const [interval] = manifest.pauses;
    expect(Math.abs(Date.parse(interval?.startTime ?? "") - pausedAt)).toBeLessThan(200);
    expect(Math.abs((interval?.durationMs ?? 0) - (resumedAt - pausedAt))).toBeLessThan(200);
  }, 60_000);

  it("the joiner refuses (record-nothing): the recording is stopped for good, the ledger says who and why", async () => {
    const [customer, joiner] = [CALIFORNIA(3), CALIFORNIA(4)];
    const serverCallId = await recordedCall(customer);
    const joinedAt = await joinCall(serverCallId, joiner, { kind: "dtmf", tones: ["2"], afterMs: 200 });
    await eventually(
      () => (requestsOf(serverCallId, "stopRecording").length > 0 ? true : undefined),
      20_000,
      "the recording to be stopped",
    );
    const { pausedAt } = expectPausedBeforeAsked(serverCallId, joiner, joinedAt);
    expect(Date.parse(requestsOf(serverCallId, "stopRecording")[0]?.at ?? "")).toBeGreaterThan(pausedAt);
    expect((await joinerEvidence(serverCallId, joiner)).answer).toMatchObject({ outcome: "refused" });
    await sleep(1_500);
    // Never resumed, never restarted; the call goes on.
    expect(requestsOf(serverCallId, "resumeRecording")).toEqual([]);
    expect(requestsOf(serverCallId, "startRecording")).toHaveLength(1);
    expect(view(serverCallId)?.state).toBe("established");
    expect(requestsOf(serverCallId, "terminate")).toEqual([]);
    await stack.simulator.endCall(serverCallId);
    // The recording made before the join is archived (it is owed). Stopped, it is archived before the call ends: the
    // entry is `recorded` by then, and stays so; CallEnded still brings the call's end and the final consent record
    // into it (entryAfter, src/ledger/store.ts).
    const entry = await ledgerEntry(
      serverCallId,
      "the ledger to say recorded, with the call's end and its consent",
      (e) => e.outcome === "recorded" && e.endedAt !== undefined && e.consent !== undefined,
    );
    expect(entry.consent?.parties?.map((p) => [p.party, p.outcome])).toEqual([
      [customer, "given"],
      [joiner, "refused"],
    ]);
    expect(entry.consent).toMatchObject({ target: joiner, outcome: "refused", fallback: "record-nothing" });
    expect(entry.stops).toMatchObject([{ trigger: "request", by: `consent:${joiner}` }]);
    expect(entry.actions?.filter((a) => a.trigger === "consent")).toMatchObject([{ action: "record-nothing" }]);
    const manifest = JSON.parse(
      (await stack.runtime.container.getBlockBlobClient(entry.manifest ?? "").downloadToBuffer()).toString("utf8"),
    ) as { consent?: LedgerEntry["consent"]; pauses: { startTime: string }[]; endedBy?: { by: string } };
    expect(manifest.consent?.parties?.map((p) => [p.party, p.outcome])).toEqual([
      [customer, "given"],
      [joiner, "refused"],
    ]);
    expect(manifest.consent).toMatchObject({ target: joiner, outcome: "refused", fallback: "record-nothing" });
    expect(manifest.endedBy).toMatchObject({ trigger: "request", by: `consent:${joiner}` });
    // Paused from just after the join until the stop: nothing of the joiner's answer is in the audio.
    expect(manifest.pauses).toHaveLength(1);
    expect(Math.abs(Date.parse(manifest.pauses[0]?.startTime ?? "") - pausedAt)).toBeLessThan(200);
  }, 60_000);

  it("the joiner is silent (end-call): paused, asked, RecognizeFailed 8510, the call ended for everyone", async () => {
    const [customer, joiner] = [CALIFORNIA(5), CALIFORNIA(6)];
    const serverCallId = await recordedCall(customer);
    const joinedAt = await joinCall(serverCallId, joiner);
    await eventually(() => (view(serverCallId)?.state === "ended" ? true : undefined), 20_000, "the call to end");
    const { asked } = expectPausedBeforeAsked(serverCallId, joiner, joinedAt);
    expect(asked).toMatchObject({ outcome: "RecognizeFailed", subCode: 8510 });
    expect(requestsOf(serverCallId, "terminate").map((r) => r.status)).toEqual([204]);
    expect(requestsOf(serverCallId, "resumeRecording")).toEqual([]);
    const entry = await ledgerEntry(serverCallId, "the ledger to say recorded", (e) => e.outcome === "recorded");
    expect(entry.consent).toMatchObject({ target: joiner, outcome: "silent", fallback: "end-call" });
    expect(entry.actions?.filter((a) => a.trigger === "consent")).toMatchObject([{ action: "hang-up" }]);
  }, 60_000);

  it("the start window: someone joining while ACS is accepting the start is asked only once it is paused", async () => {
    const [customer, joiner] = [CALIFORNIA(7), CALIFORNIA(8)];
    // ACS takes 2 s to answer the start: the consent is given and the start claimed, but no recordingId is known.
    stack.simulator.addFault({ target: "startRecording", kind: "latency", latencyMs: 2_000 });
    const { serverCallId } = await stack.simulator.placeCall({ from: AGENT, to: customer, durationMs: 120_000 });
    await stack.simulator.scriptRecognizeAnswer(serverCallId, customer, { kind: "dtmf", tones: ["1"], afterMs: 200 });
    await eventually(
      async () => {
        const session = await stack.runtime.sessions.get(serverCallId);
        return session.startClaimed && !session.recordingId ? true : undefined;
      },
      20_000,
      "the start to be claimed, its recording not known yet",
    );
    const joinedAt = await joinCall(serverCallId, joiner, { kind: "dtmf", tones: ["2"], afterMs: 200 });
    await eventually(
      () => (requestsOf(serverCallId, "stopRecording").length > 0 ? true : undefined),
      20_000,
      "the recording to be stopped",
    );
    const { pausedAt } = expectPausedBeforeAsked(serverCallId, joiner, joinedAt);
    // The pause came once ACS had accepted the start (its id known), not before.
    const [start] = requestsOf(serverCallId, "startRecording");
    expect(pausedAt).toBeGreaterThan(Date.parse(start?.at ?? ""));
    expect(requestsOf(serverCallId, "startRecording")).toHaveLength(1);
    await stack.simulator.endCall(serverCallId);
    const entry = await ledgerEntry(serverCallId, "the ledger to say recorded", (e) => e.outcome === "recorded");
    expect(entry.stops).toMatchObject([{ by: `consent:${joiner}` }]);
    const manifest = JSON.parse(
      (await stack.runtime.container.getBlockBlobClient(entry.manifest ?? "").downloadToBuffer()).toString("utf8"),
    ) as { consent?: LedgerEntry["consent"] };
    expect(manifest.consent?.parties?.map((p) => [p.party, p.outcome])).toEqual([
      [customer, "given"],
      [joiner, "refused"],
    ]);
  }, 60_000);

  it("consent required after a notice: a Californian joins a London call; paused, both asked in turn, resumed", async () => {
    const [customer, joiner] = [LONDON(1), CALIFORNIA(9)];
    // The London customer is told (the notice), and recording starts after it; nobody is asked.
    const serverCallId = await noticedCall(customer);
    expect(view(serverCallId)?.recognitions ?? []).toEqual([]);
    // All-party consent now: the Californian and the London customer, who was only told, are asked.
    await stack.simulator.scriptRecognizeAnswer(serverCallId, customer, { kind: "dtmf", tones: ["1"], afterMs: 200 });
    const joinedAt = await joinCall(serverCallId, joiner, { kind: "dtmf", tones: ["1"], afterMs: 200 });
    await eventually(
      () => (requestsOf(serverCallId, "resumeRecording").length > 0 ? true : undefined),
      20_000,
      "the recording to be resumed",
    );
    const { pausedAt } = expectPausedBeforeAsked(serverCallId, joiner, joinedAt);
    const recognitions = view(serverCallId)?.recognitions ?? [];
    // Each on their own leg, both after the pause, in the order of the decision's `ask`, one at a time (the second
    // asked once the first consented); the resume after the last consent.
    const order = recognitions.map((r) => r.target);
    expect([...order].sort()).toEqual([customer, joiner].sort());
    expect(recognitions.map((r) => r.outcome)).toEqual(["RecognizeCompleted", "RecognizeCompleted"]);
    for (const r of recognitions) expect(Date.parse(r.requestedAt)).toBeGreaterThanOrEqual(pausedAt);
    const answers = await Promise.all(order.map((p) => joinerEvidence(serverCallId, p)));
    expect(answers.map((a) => a.answer?.outcome)).toEqual(["given", "given"]);
    expect(Date.parse(answers[1]?.asked?.at ?? "")).toBeGreaterThanOrEqual(Date.parse(answers[0]?.answer?.at ?? ""));
    const [resume] = requestsOf(serverCallId, "resumeRecording");
    const resumedAt = Date.parse(resume?.at ?? "");
    expect(resumedAt).toBeGreaterThanOrEqual(Date.parse(answers[1]?.answer?.at ?? ""));
    expect(requestsOf(serverCallId, "resumeRecording")).toHaveLength(1);
    expect(requestsOf(serverCallId, "pauseRecording")).toHaveLength(1);
    expect(requestsOf(serverCallId, "startRecording")).toHaveLength(1);

    await sleep(300);
    await stack.simulator.endCall(serverCallId);
    const entry = await ledgerEntry(serverCallId, "the ledger to say recorded", (e) => e.outcome === "recorded");
    // The evidence: the notice first, then each question and answer in the order asked; the Californian rule decided.
    expect(entry.consent).toMatchObject({
      requirement: "consent",
      decidedBy: { party: joiner, jurisdiction: "US-CA" },
    });
    expect(entry.consent?.parties?.map((p) => [p.party, p.outcome])).toEqual([
      [customer, "notified"],
      [order[0], "given"],
      [order[1], "given"],
    ]);
    const manifest = JSON.parse(
      (await stack.runtime.container.getBlockBlobClient(entry.manifest ?? "").downloadToBuffer()).toString("utf8"),
    ) as { consent?: unknown; pauses: { startTime: string; durationMs: number }[] };
    expect(manifest.consent).toEqual(entry.consent);
    expect(manifest.pauses).toHaveLength(1);
    expect(Math.abs((manifest.pauses[0]?.durationMs ?? 0) - (resumedAt - pausedAt))).toBeLessThan(200);
  }, 60_000);

  it("a joiner during an operator's PCI pause: the operator's resume is held until they consent", async () => {
    const [customer, joiner] = [CALIFORNIA(10), CALIFORNIA(11)];
    const serverCallId = await recordedCall(customer);
    await eventually(
      async () => ((await stack.runtime.sessions.get(serverCallId)).recordingId ? true : undefined),
      5_000,
      "the recording in the session",
    );
    expect((await operator(serverCallId, "pause")).status).toBe(202);
    await eventually(
      async () => ((await stack.runtime.sessions.get(serverCallId)).pause ? true : undefined),
      5_000,
      "the operator's pause",
    );
    // Paused already: the joiner is asked at once, and takes 1.5 s to answer (the policy waits 2 s).
    await joinCall(serverCallId, joiner, { kind: "dtmf", tones: ["1"], afterMs: 1_500 });
    await eventually(async () => (await joinerEvidence(serverCallId, joiner)).asked, 10_000, "the joiner asked");
    const response = await operator(serverCallId, "resume");
    expect(response.status).toBe(202);
    expect(await response.json()).toMatchObject({ accepted: "recording:resume", heldForConsent: true });
    // The resume is held: the pause is the consent flow's now, and ACS is not asked to resume before the answer.
    await eventually(
      async () => ((await stack.runtime.sessions.get(serverCallId)).pause?.by === "consent" ? true : undefined),
      5_000,
      "the pause handed to the consent flow",
    );
    expect(requestsOf(serverCallId, "resumeRecording")).toEqual([]);
    await eventually(
      () => (requestsOf(serverCallId, "resumeRecording").length > 0 ? true : undefined),
      20_000,
      "the recording to be resumed on consent",
    );
    const { answer } = await joinerEvidence(serverCallId, joiner);
    expect(answer).toMatchObject({ outcome: "given" });
    const resumes = requestsOf(serverCallId, "resumeRecording");
    expect(Date.parse(resumes[0]?.at ?? "")).toBeGreaterThanOrEqual(Date.parse(answer?.at ?? ""));
    await sleep(500);
    expect(requestsOf(serverCallId, "resumeRecording")).toHaveLength(1);
    expect(requestsOf(serverCallId, "pauseRecording")).toHaveLength(1);
    expect((await stack.runtime.sessions.get(serverCallId)).pause).toBeUndefined();
    expect(view(serverCallId)?.recordings.map((r) => r.state)).toEqual(["active"]);
    await stack.simulator.endCall(serverCallId);
  }, 60_000);

  it("a new recording after a scope stop waits for a joiner's consent: started only after they consented", async () => {
    const [customer, other, joiner] = [CALIFORNIA(12), CALIFORNIA(13), CALIFORNIA(14)];
    // Both customers consent in turn, recording starts; the agent (the only one in scope) leaves: stopped by scope.
    const serverCallId = await threeWayCall(stack, AGENT, [customer, other], "1");
    await agentLeaves(stack, serverCallId, AGENT);
    // A Californian joins while nothing records: asked at once; they take 1.5 s to answer (the policy waits 2 s).
    await joinCall(serverCallId, joiner, { kind: "dtmf", tones: ["1"], afterMs: 1_500 });
    await eventually(async () => (await joinerEvidence(serverCallId, joiner)).asked, 10_000, "the joiner asked");
    // The agent is back: a new recording is due, but the joiner has not consented yet.
    await stack.simulator.addParticipant(serverCallId, AGENT);
    await sleep(500);
    expect(requestsOf(serverCallId, "startRecording")).toHaveLength(1);
    await eventually(
      () => (requestsOf(serverCallId, "startRecording").length > 1 ? true : undefined),
      20_000,
      "the new recording to start after consent",
    );
    const { answer } = await joinerEvidence(serverCallId, joiner);
    expect(answer).toMatchObject({ outcome: "given" });
    const starts = requestsOf(serverCallId, "startRecording");
    expect(starts).toHaveLength(2);
    expect(Date.parse(starts[1]?.at ?? "")).toBeGreaterThanOrEqual(Date.parse(answer?.at ?? ""));
    // Started after consent: nothing to pause. The session reads the new recording's claim (its start window).
    expect(requestsOf(serverCallId, "pauseRecording")).toEqual([]);
    expect((await stack.runtime.sessions.get(serverCallId)).restartClaimed).toBe(2);
    await eventually(
      () => (view(serverCallId)?.recordings[1]?.state === "active" ? true : undefined),
      10_000,
      "the new recording active",
    );
    await sleep(300);
    await stack.simulator.endCall(serverCallId);
  }, 60_000);

  it("a notice-only joiner: a London customer joins a London call and hears the notice on their own leg", async () => {
    const [customer, joiner] = [LONDON(20), LONDON(21)];
    const serverCallId = await noticedCall(customer);
    expect(view(serverCallId)?.plays.map((p) => p.playTo)).toEqual([[]]);
    await joinCall(serverCallId, joiner);
    const toJoiner = await eventually(
      () => view(serverCallId)?.plays.find((p) => p.playTo.includes(joiner)),
      20_000,
      "the notice to be played to the joiner",
    );
    expect(toJoiner).toMatchObject({
      operationContext: `recording-announcement:announce-to:${joiner}`,
      playTo: [joiner],
    });
    await eventually(
      async () =>
        (await stack.runtime.sessions.get(serverCallId)).announcements?.[`announce-to:${joiner}`]?.status === "played"
          ? true
          : undefined,
      10_000,
      "the joiner's notice reported played",
    );
    // The words are the notice everyone heard (the job's payload), not a question: nothing paused, nobody asked.
    const control = stack.runtime.queues.all().find((q) => q.name === QueueName.control);
    const plays = ((await control?.getJobs(["completed"])) ?? []).filter(
      (job) =>
        job.name === "play-announcement" && (job.data as { serverCallId?: string }).serverCallId === serverCallId,
    );
    expect(plays.map((job) => (job.data as { playTo?: string }).playTo)).toEqual(
      expect.arrayContaining([undefined, joiner]),
    );
    for (const job of plays)
      expect((job.data as { announcement: unknown }).announcement).toEqual({
        text: "This call is recorded.",
        locale: "en-GB",
      });
    expect(requestsOf(serverCallId, "pauseRecording")).toEqual([]);
    expect(view(serverCallId)?.recognitions ?? []).toEqual([]);
    // Told once: nothing else is played.
    await sleep(300);
    expect(view(serverCallId)?.plays).toHaveLength(2);
    await stack.simulator.endCall(serverCallId);
    const entry = await ledgerEntry(serverCallId, "the ledger to say recorded", (e) => e.outcome === "recorded");
    expect(entry.consent).toMatchObject({ requirement: "notice" });
  }, 60_000);
});
