import { correlate } from "../../../src/correlation/index.js";
import {
  CONSENT_CONTEXT,
  consentAnswerOf,
  consentOf,
  factsOfEvent,
  ingestJobsOf,
  ledgerConsentOf,
  partiesOf,
  needsHealth,
  planCall,
  recordingCluesOf,
  recordingUpdateOf,
} from "../../../src/calls/index.js";
import { assessHealth } from "../../../src/health/index.js";
import type { AcsEvent } from "../../../src/intake/index.js";
import { outcomeOfDecision } from "../../../src/ledger/index.js";
import { decisionsMade } from "../../../src/metrics.js";
import {
  decide,
  decideConsent,
  directoryLocationsFor,
  recordingRulesOf,
  type CallFacts,
  type TeamPolicy,
} from "../../../src/policy/index.js";
import {
  callEvent,
  checkRecording,
  connectRinging,
  enforceStart,
  expectRecording,
  ingestChunk,
  jobKinds,
  type PayloadOf,
} from "../../../src/queues/index.js";
import {
  type CallSession,
  type ConsentAnswer,
  type FactUpdate,
  microsOf,
  needsAcsCheck,
  contextOf,
} from "../../../src/sessions/index.js";
import { advanceNeeds } from "./advance-needs.js";
import { CHECK_DELAY_MS } from "./check-recording.js";
import { connectCallJob } from "./connect-call.js";
import { announcementStepOf, type PlannedJob } from "../../../src/calls/index.js";
import { startRecordingJob } from "./start-recording.js";
import { notePresence } from "./presence.js";
import { defineJob, type JobDependencies } from "../../job.js";

type Payload = PayloadOf<"call-event">;

/** What `advance` uses: connect-call and the ring watchdog, which advance a call too, declare it with theirs. */
export { advanceNeeds };
const needs = [...advanceNeeds, "ledger", "recordingExpectedWithinMs"] as const;
type Deps = JobDependencies<(typeof needs)[number]>;

type EventType = AcsEvent["type"];
type EventOf<T extends EventType> = Extract<AcsEvent, { type: T }>;
/** Handles one type of event: learns what it tells (pure, src/calls), writes it, plans, queues. */
type Handler<T extends EventType> = (deps: Deps, event: EventOf<T>, receivedAt: string) => Promise<void>;

/**
 * Folds one event into the call's session and starts whatever it makes due. Facts accumulate, and every
 * action is guarded by a once-per-call claim, so any delivery order and any redelivery end the same way.
 */
async function perform(deps: Deps, { event, receivedAt }: Payload): Promise<void> {
  // The table is keyed by event type, so each handler gets its own type of event; the lookup loses that pairing.
  const handle = handlers[event.type] as Handler<EventType>;
  await handle(deps, event, receivedAt);
}

/** The facts an event of these types tells, which every one of them has. */
function factsOf(event: AcsEvent, receivedAt: string): FactUpdate {
  const facts = factsOfEvent(event, receivedAt);
  if (!facts) throw new Error(`${event.type} tells no facts of its call`);
  return facts;
}

const handlers: { [T in EventType]: Handler<T> } = {
  async "Microsoft.Communication.IncomingCall"(deps, event, receivedAt) {
    const [session] = await Promise.all([
      deps.sessions.addFacts(event.data.serverCallId, factsOf(event, receivedAt)),
      noteCall(deps, event.data),
    ]);
    // Only while handling IncomingCall can the call still be refused: its context is what rejects it. It is
    // kept apart from job data (src/sessions/ring-context.ts) and dropped once no reject will need it.
    const ring = await contextOf(deps.ringContexts, event.data.serverCallId, event.data.incomingCallContext);
    const rejecting = await advance(deps, session, event.id, ring);
    if (!rejecting && ring.keptApart) await deps.ringContexts.forget(event.data.serverCallId);
  },

  async "Microsoft.Communication.CallStarted"(deps, event, receivedAt) {
    const [session] = await Promise.all([
      deps.sessions.addFacts(event.data.serverCallId, factsOf(event, receivedAt)),
      noteCall(deps, event.data),
    ]);
    await advance(deps, session, event.id);
  },

  // Joins and leaves, and each connection's participant list: kept as presence, then re-decided (presence.ts).
  "Microsoft.Communication.CallParticipantAdded": notePresence,
  "Microsoft.Communication.CallParticipantRemoved": notePresence,
  "Microsoft.Communication.ParticipantsUpdated": notePresence,

  async "Microsoft.Communication.CallEnded"(deps, event, receivedAt) {
    const { serverCallId, correlationId } = event.data;
    await Promise.all([deps.sessions.addFacts(serverCallId, factsOf(event, receivedAt)), noteCall(deps, event.data)]);
    // Every call seen gets a ledger entry at its end: pending (a recording is owed), exempt or not required.
    const session = await deps.sessions.get(serverCallId);
    // Consent not given (or the notice not played): nothing may be recorded, and the entry says why (exempt).
    const consent = session.decision?.record ? ledgerConsentOf(session) : {};
    await deps.ledger.record({
      serverCallId,
      ...(correlationId ? { correlationId } : {}),
      ...outcomeOfDecision(session.decision),
      ...consent,
      endedAt: event.time,
    });
    if (session.decision?.record && consent.outcome === undefined) {
      await deps.queues.enqueue(
        expectRecording,
        { serverCallId, correlationId },
        { delayMs: deps.recordingExpectedWithinMs },
      );
    }
  },

  async "Microsoft.Communication.CallConnected"(deps, event) {
    // Another app's leg to the same call may report to the same callback: a connection is ours only if our
    // connect request returned it (connect-call.ts), whichever CallConnected comes last.
    const { serverCallId, correlationId, callConnectionId } = event.data;
    const session = await deps.sessions.noteConnected(serverCallId, callConnectionId);
    const log = { serverCallId, correlationId, callConnectionId, ours: session.ownConnectionId };
    if (session.callConnectionId === callConnectionId) {
      await advance(deps, session, event.id);
      return;
    }
    if (session.ownConnectionId) deps.logger.warn(log, "another connection to the call: noted, not ours");
    else deps.logger.info(log, "a connection to the call connected; ours once our connect answers with it");
  },

  async "Microsoft.Communication.RecordingStateChanged"(deps, event, receivedAt) {
    const { serverCallId, correlationId, recordingId, state, callConnectionId } = event.data;
    const update = recordingUpdateOf(event, receivedAt, Date.now());
    const [{ outcome, session }] = await Promise.all([
      deps.sessions.updateRecording(serverCallId, recordingId, update),
      // Our own record that this recording is this call's: its RecordingFileStatusUpdated may name only the call id.
      deps.correlation.noteRecording(recordingId, serverCallId),
      noteCall(deps, event.data),
    ]);
    // Its callConnectionId may be the recorder's own leg, neither ours nor a party's: it is logged, never used.
    deps.logger.info(
      {
        serverCallId,
        correlationId,
        recordingId,
        state,
        eventConnectionId: callConnectionId,
        initial: update.initial,
        stale: outcome.stale,
        conflict: outcome.conflict,
        callRecordingState: session.recordingState,
      },
      "recording state changed",
    );
    // Events that disagree, or a real stop or pause: ACS is asked shortly (check-recording.ts).
    if (needsAcsCheck(update, outcome)) {
      await deps.queues.enqueue(
        checkRecording,
        { serverCallId, correlationId, recordingId, eventId: event.id },
        { delayMs: CHECK_DELAY_MS },
      );
    }
    // Active: the announcement may now be due.
    if (session.recordingState === "active") await advance(deps, session, event.id);
  },

  async "Microsoft.Communication.StartRecordingFailed"(deps, event) {
    const { serverCallId, correlationId, recordingId, resultInformation } = event.data;
    if (recordingId) {
      const at = microsOf(event.time) ?? Date.now() * 1000;
      await deps.sessions.updateRecording(serverCallId, recordingId, { kind: "start-failed", at });
    }
    deps.logger.error(
      { serverCallId, correlationId, recordingId, result: resultInformation, alert: true },
      "ACS could not start the recording",
    );
    // A failed start, as the policy's enforcement treats one that missed its deadline — now, not at the deadline.
    await deps.queues.enqueue(enforceStart, {
      serverCallId,
      correlationId,
      failedRecordingId: recordingId ?? "",
      startFailedOf: recordingId ?? event.id,
    });
  },

  "Microsoft.Communication.PlayCompleted": (deps, event, receivedAt) => playResult(deps, event, true, receivedAt),
  "Microsoft.Communication.PlayFailed": (deps, event, receivedAt) => playResult(deps, event, false, receivedAt),

  // The answer to our consent prompt (docs/consent-flow.md): put on record, then the call planned again.
  "Microsoft.Communication.RecognizeCompleted": recognizeResult,
  "Microsoft.Communication.RecognizeFailed": recognizeResult,
  "Microsoft.Communication.RecognizeCanceled": recognizeResult,

  async "Microsoft.Communication.CallDisconnected"(deps, event) {
    const { serverCallId, correlationId, callConnectionId } = event.data;
    const { ownConnectionId } = await deps.sessions.get(serverCallId);
    const ours = callConnectionId === ownConnectionId;
    deps.logger.info(
      { serverCallId, correlationId, callConnectionId, ours },
      ours ? "our call connection ended" : "another connection to the call ended",
    );
  },

  "Microsoft.Communication.RecordingFileStatusUpdated": recordingReady,
};

/**
 * The answer to our consent prompt, on our connection only: kept as the call's consent answer (the first one stays:
 * a keep-first fact), then the call is planned again — recording starts on consent, the policy's fallback otherwise.
 */
async function recognizeResult(
  deps: Deps,
  event: EventOf<
    | "Microsoft.Communication.RecognizeCompleted"
    | "Microsoft.Communication.RecognizeFailed"
    | "Microsoft.Communication.RecognizeCanceled"
  >,
  receivedAt: string,
): Promise<void> {
  const { serverCallId, correlationId, callConnectionId, operationContext } = event.data;
  // Our consent prompt's context; a further party of an all-party consent's carries their id after it.
  const party = operationContext?.startsWith(`${CONSENT_CONTEXT}:`)
    ? operationContext.slice(CONSENT_CONTEXT.length + 1)
    : undefined;
  if (operationContext !== CONSENT_CONTEXT && party === undefined) return;
  const log = { serverCallId, correlationId, callConnectionId, type: event.type, ...(party ? { party } : {}) };
  const session = await deps.sessions.get(serverCallId);
  if (session.ownConnectionId && callConnectionId !== session.ownConnectionId) {
    deps.logger.warn(log, "recognize result of another connection: ignored");
    return;
  }
  const { asked, answer: known } = party
    ? (partiesOf(session).find((p) => p.party === party) ?? {})
    : consentOf(session);
  if (asked?.requirement !== "consent") {
    deps.logger.warn(log, "recognize result for a call where no consent was asked: ignored");
    return;
  }
  const answer = { ...consentAnswerOf(event, asked), seenAt: receivedAt };
  const updated = party
    ? await deps.sessions.addPartyConsent(serverCallId, party, { answer: JSON.stringify(answer) })
    : await deps.sessions.addFacts(serverCallId, { consentAnswer: JSON.stringify(answer) });
  const kept = party ? partiesOf(updated).find((p) => p.party === party)?.answer : consentOf(updated).answer;
  deps.logger.info(
    {
      ...log,
      outcome: answer.outcome,
      heard: answer.heard,
      subCode: answer.subCode,
      kept: kept?.outcome,
      earlier: known?.outcome,
    },
    "consent answer",
  );
  await advance(deps, updated, event.id);
}

/**
 * The result of playing our announcement, on our connection only (another connection's plays are not ours). When it
 * was the notice a jurisdiction requires before recording, it is also the call's consent answer (notified, or
 * notice-failed), and the call is planned again: recording starts once the notice has been played.
 */
async function playResult(
  deps: Deps,
  event: EventOf<"Microsoft.Communication.PlayCompleted" | "Microsoft.Communication.PlayFailed">,
  played: boolean,
  receivedAt: string,
): Promise<void> {
  const { serverCallId, correlationId, callConnectionId, operationContext, resultInformation } = event.data;
  // Which of our plays it is, by its operationContext (src/calls/announce.ts): the first, a later recording's, a joiner's.
  const step = announcementStepOf(operationContext);
  if (!step) return;
  const session = await deps.sessions.get(serverCallId);
  const { ownConnectionId } = session;
  if (ownConnectionId && callConnectionId !== ownConnectionId) {
    deps.logger.warn({ serverCallId, correlationId, callConnectionId }, "play result of another connection: ignored");
    return;
  }
  const result = {
    status: played ? ("played" as const) : ("failed" as const),
    ...(resultInformation?.message ? { detail: resultInformation.message } : {}),
  };
  if (step === "announce") await deps.sessions.setAnnouncement(serverCallId, result);
  else await deps.sessions.setAnnouncementResult(serverCallId, step, result);
  const log = { serverCallId, correlationId, step, detail: resultInformation?.message };
  if (played) deps.logger.info(log, "recording announcement played");
  else deps.logger.error({ ...log, alert: true }, "recording announcement failed");
  const { asked, answer } = consentOf(session);
  if (step === "announce" && asked?.requirement === "notice" && !answer) {
    const noticed: ConsentAnswer = {
      outcome: played ? "notified" : "notice-failed",
      at: event.time,
      seenAt: receivedAt,
      ...(resultInformation?.code !== undefined ? { code: resultInformation.code } : {}),
      ...(resultInformation?.subCode !== undefined ? { subCode: resultInformation.subCode } : {}),
      ...(resultInformation?.message ? { message: resultInformation.message } : {}),
    };
    const updated = await deps.sessions.addFacts(serverCallId, { consentAnswer: JSON.stringify(noticed) });
    await advance(deps, updated, event.id);
    return;
  }
  // A play to everyone is on record by now: anyone who joined while it was being asked is told on their own leg.
  if (!step.startsWith("announce-to:")) await advance(deps, await deps.sessions.get(serverCallId), event.id);
}

/**
 * The calling events and callbacks name the call's correlationId, which we take for the `{call-id}` of its recording
 * events: Microsoft's "Call Recording logs" page groups one callID's recordings under one CorrelationId, and "Voice
 * and video calling logs" says a call is depicted by correlationId (docs/archive.md "Correlation"). Remembered so a
 * recording event that names only the call id still finds its call.
 */
async function noteCall(deps: JobDependencies<"correlation">, ids: { serverCallId: string; correlationId: string }) {
  await deps.correlation.noteCall(ids.correlationId, ids.serverCallId);
}

/**
 * A recording is ready: one ingest job per chunk, keyed by the recording's own identity (its recordingId, else
 * its first chunk's documentId; never the call's latest recording, src/correlation recordingKeyOf). The call is
 * looked up here for the logs and the jobs; a job that finds none looks again, and whatever is still not found
 * is archived in the quarantine area (docs/archive.md).
 */
async function recordingReady(
  deps: JobDependencies<"correlation" | "sessions" | "queues">,
  event: EventOf<"Microsoft.Communication.RecordingFileStatusUpdated">,
  receivedAt: string,
): Promise<void> {
  const clues = recordingCluesOf(event);
  const { subject, knownRecordingId, recordingId } = clues;
  if (clues.subjectDisagrees)
    deps.logger.warn(
      { subject: event.subject, dataRecordingId: event.data.recordingId },
      "recording event: subject and data name different recordings; the subject's is used",
    );
  const [byRecordingId, byCallId] = await Promise.all([
    knownRecordingId ? deps.correlation.callOfRecording(knownRecordingId) : undefined,
    subject ? deps.correlation.callOfCallId(subject.callId) : undefined,
  ]);
  const correlation = correlate({ serverCallId: subject?.serverCallId, byRecordingId, byCallId });
  const serverCallId = correlation.serverCallId;
  const correlationId = serverCallId ? (await deps.sessions.logIds(serverCallId)).correlationId : undefined;
  const log = { serverCallId, correlationId, recordingId, callId: subject?.callId, via: correlation.via };
  if (!subject) deps.logger.warn({ ...log, subject: event.subject }, "recording event: subject names no call");
  if (correlation.disagreements.length > 0)
    deps.logger.warn(
      { ...log, disagreements: correlation.disagreements },
      "recording event: clues name different calls",
    );
  const jobs = ingestJobsOf(event, { clues, correlation, correlationId }, receivedAt, new Date());
  for (const { payload, priority } of jobs) {
    // Keyed by recording and chunk (src/queues/kinds/ingest.ts): a replayed event enqueues nothing new.
    await deps.queues.enqueue(ingestChunk, payload, { priority });
  }
  deps.logger.info({ ...log, chunks: jobs.length }, "recording ready: ingest queued");
}

/**
 * Re-decides from all facts known so far (the decision is a pure function of them, so any delivery order ends
 * with the same decision), plans what that makes due (src/calls/plan.ts `planCall`, pure; the health view is read
 * only when the plan needs it), then starts each due action exactly once. A call already over is still connected
 * to: ACS answers 8522 and that failure is on record rather than silently skipped.
 *
 * Claiming a step and queueing its job are two writes (different slots on a Cluster): a worker killed between
 * them must not leave the step claimed and never done. So a claim is held by the event that took it (`eventId`;
 * connect-call.ts passes its own stable name when our connect's answer is what makes steps due),
 * whose redelivery — BullMQ runs a killed worker's job again — claims it again and queues the job again; the
 * job id is the call's and step's, so a job that was queued the first time is not queued twice.
 */
export async function advance(
  deps: JobDependencies<(typeof advanceNeeds)[number]>,
  session: CallSession,
  eventId: string,
  incoming?: { context: string | undefined; keptApart: boolean },
): Promise<"rejecting" | undefined> {
  const { serverCallId, participants, caller, callee, startedAt } = session;
  // Policy reloads apply to new calls: a call in progress keeps the set that first decided it (when this
  // process still has it; a replica started since then uses its current set).
  const pinned = session.policySetHash ? deps.policiesFor(session.policySetHash) : undefined;
  const policies = pinned ?? deps.policies();
  const facts: CallFacts = { participants, caller, callee, at: startedAt, callKey: serverCallId };
  const decision = decide(policies, facts);
  const consent = await consentFor(deps, policies, decision, facts);
  const ring = incoming?.context ? { keptApart: incoming.keptApart } : undefined;
  const health = needsHealth(decision, ring)
    ? assessHealth(await deps.health.read(), deps.healthSettings.failuresToTrip)
    : undefined;
  const plan = planCall(session, decision, health, ring, consent);
  const owner = `event:${eventId}`;
  // Decision, claims and the metrics tally in one round trip: this is on the path from CallStarted to the recording.
  const held = await deps.sessions.settle(serverCallId, {
    decision,
    factsVersion: session.factsVersion,
    ...(plan.pinPolicySet ? { pinPolicySet: plan.pinPolicySet } : {}),
    claims: plan.claims,
    owner,
    tally: plan.tally,
  });
  if (held.has(plan.tally)) decisionsMade.inc(plan.tallyLabels);
  const log = { serverCallId, correlationId: session.correlationId };
  if (plan.notRecording) deps.logger.info({ ...log, reason: plan.notRecording.reason }, "not recording");
  for (const job of plan.jobs) {
    if (!held.has(job.step)) continue;
    if (job.log) deps.logger[job.log.level]({ ...log, ...job.log.fields }, job.log.message);
    // The reject job reads the context from where it is kept apart (a context carried by this event is put there first).
    if (job.name === "reject-call" && plan.reject?.keepContextApart && incoming?.context)
      await deps.ringContexts.put(serverCallId, incoming.context);
    // Connecting and starting the recording are done here, without a queue hop (runInline); queued if that fails.
    if (await runInline(deps, job)) continue;
    // Its kind keys it by the call and the step (src/queues/kinds/control.ts), as the claim is named.
    // A stop's job names its claimant: a stop given back and claimed again later is a job of its own.
    await deps.queues.enqueue(
      jobKinds[job.name],
      job.name === "stop-recording" ? { ...job.payload, claimant: owner } : job.payload,
      job.delayMs !== undefined ? { delayMs: job.delayMs } : undefined,
    );
  }
  if (plan.reject) return "rejecting";
  // Removed last, off the path to the recording; one already running is left to finish.
  if (plan.removeRingWatch && held.has("connect")) {
    await deps.queues.remove(connectRinging, { serverCallId, correlationId: session.correlationId ?? "" });
  }
  return undefined;
}

/** What an inline step is told of its run: the first attempt, no progress to report (its event's job has none). */
const INLINE_CONTEXT = { attempt: 1, progress: async () => undefined };

/**
 * The two steps on the way from a call's start to its recording — connecting, and starting the recording — are
 * done in the job of the event that made them due, not queued as jobs of their own: a job is a queue hop (a wait
 * behind whatever else is queued, on a busy worker most of a call's time to record) and ~40 Redis commands
 * (docs/performance.md "Time to record"). Exactly once is unchanged: the step is claimed first, as before, by
 * this event, whose redelivery runs it again; and both steps are safe to repeat — connect-call finds the call
 * connected by its first run and connects nothing (its job did the same when run again), and a start ACS already
 * accepted answers "already recording", which start-recording takes for success. If the step fails here, its
 * job is queued as before (its id is the call's and the step's; its retries and backoff), so a failing ACS is
 * retried exactly as it was. A step with a delay is always queued.
 */
async function runInline(deps: JobDependencies<(typeof advanceNeeds)[number]>, job: PlannedJob): Promise<boolean> {
  if (job.delayMs !== undefined) return false;
  try {
    if (job.name === "connect-call") await connectCallJob.perform(deps, job.payload, INLINE_CONTEXT);
    else if (job.name === "start-recording") await startRecordingJob.perform(deps, job.payload, INLINE_CONTEXT);
    else return false;
  } catch (err) {
    deps.logger.warn({ err, job: job.name }, "step failed in its event's job: queued as a job of its own, to retry");
    return false;
  }
  // As the step's job would have on completing (workers/run.ts noteJobHealth): ACS answered.
  await deps.health
    .noteSuccess("acs")
    .catch((err: unknown) => deps.logger.warn({ err }, "could not update the health view"));
  return true;
}

/**
 * The consent decision of a recorded call (src/policy decideConsent: the strictest party decides). Once asked, the ask
 * on record decides (src/calls/consent.ts); the decision then only shows whether someone who joined since would have
 * to be asked too. A rule without a `consent:` block needs no jurisdiction data. Parties are placed by the recording
 * teams' directories first (docs/consent.md "Where a party is").
 */
async function consentFor(
  deps: JobDependencies<"consentEnvironment" | "directory">,
  policies: readonly TeamPolicy[],
  decision: ReturnType<typeof decide>,
  facts: CallFacts,
) {
  if (!decision.record) return undefined;
  if (!recordingRulesOf(policies, decision).some(({ rule }) => rule.consent)) return undefined;
  const environment = deps.consentEnvironment();
  // The policy source refuses a consent block without jurisdiction data; should one get here all the same, the job
  // fails (and is retried) rather than record a call on a guess.
  if (!environment) throw new Error("a recording rule has a consent block, but no jurisdiction data is loaded");
  // Where the recording teams' directories place the parties (ACS and Teams users above all: no number to go by),
  // looked up here so that the decision itself stays pure.
  const { directory } = deps;
  const directoryLocation = directory
    ? await directoryLocationsFor(policies, decision, facts, (teamId, rawId) => directory.lookup(teamId, rawId))
    : () => undefined;
  return decideConsent(policies, decision, facts, { ...environment, directoryLocation });
}

/** Events that come before a call can have a recording (all on the way to starting it): no recording id to look up. */
const BEFORE_RECORDING: ReadonlySet<EventType> = new Set([
  "Microsoft.Communication.IncomingCall",
  "Microsoft.Communication.CallStarted",
  "Microsoft.Communication.CallConnected",
]);

export const callEventJob = defineJob(callEvent, {
  needs,
  perform,
  beforeRecording: ({ event }) => BEFORE_RECORDING.has(event.type),
});
