import { rawIdOf } from "../../src/acs/index.js";
import { correlate, recordingKeyOf } from "../../src/correlation/index.js";
import { parseRecordingSubject } from "../../src/intake/subject.js";
import { acsExpiry, ingestPriority } from "../../src/archive/deadline.js";
import { outcomeOfDecision } from "../../src/ledger/index.js";
import { decide } from "../../src/policy/index.js";
import { jobIdFor, type PayloadOf } from "../../src/queues/index.js";
import { decisionsMade } from "../../src/metrics.js";
import type { CallSession } from "../../src/sessions/index.js";
import { needsHealth, planCall } from "../../src/calls/index.js";
import { isPlaceholderStart, microsOf, needsAcsCheck } from "../../src/sessions/recording-state.js";
import { assessHealth } from "../../src/health/index.js";
import { contextOf } from "../../src/sessions/ring-context.js";
import { CHECK_DELAY_MS } from "./check-recording.js";
import { ANNOUNCEMENT_CONTEXT } from "./play-announcement.js";
import type { WorkerDependencies } from "../dependencies.js";

type Payload = PayloadOf<"call-event">;

/**
 * Folds one event into the call's session and starts whatever it makes due. Facts accumulate, and every
 * action is guarded by a once-per-call claim, so any delivery order and any redelivery end the same way.
 */
export async function perform(deps: WorkerDependencies, { event, receivedAt }: Payload): Promise<void> {
  switch (event.type) {
    case "Microsoft.Communication.IncomingCall": {
      const caller = rawIdOf(event.data.from);
      const callee = rawIdOf(event.data.to);
      const [session] = await Promise.all([
        deps.sessions.addFacts(event.data.serverCallId, {
          correlationId: event.data.correlationId,
          participants: [caller, callee].filter((id): id is string => !!id),
          ...(caller ? { caller } : {}),
          ...(callee ? { callee } : {}),
          startedAt: event.time,
          rang: true,
          rangSeenAt: receivedAt,
        }),
        noteCall(deps, event.data),
      ]);
      // Only while handling IncomingCall can the call still be refused: its context is what rejects it. It is
      // kept apart from job data (src/sessions/ring-context.ts) and dropped once no reject will need it.
      const ring = await contextOf(deps.ringContexts, event.data.serverCallId, event.data.incomingCallContext);
      const rejecting = await advance(deps, session, event.id, ring);
      if (!rejecting && ring.keptApart) await deps.ringContexts.forget(event.data.serverCallId);
      return;
    }
    case "Microsoft.Communication.CallStarted": {
      const startedBy = event.data.startedBy;
      const identifier =
        startedBy && "communicationIdentifier" in startedBy ? startedBy.communicationIdentifier : startedBy;
      const starter = identifier ? rawIdOf(identifier) : undefined;
      const [session] = await Promise.all([
        deps.sessions.addFacts(event.data.serverCallId, {
          correlationId: event.data.correlationId,
          participants: starter ? [starter] : [],
          ...(starter ? { callerHint: starter } : {}),
          started: true,
          startedAt: event.time,
          startedSeenAt: receivedAt,
        }),
        noteCall(deps, event.data),
      ]);
      await advance(deps, session, event.id);
      return;
    }
    case "Microsoft.Communication.CallParticipantAdded": {
      const participant = rawIdOf(event.data.user.communicationIdentifier);
      const session = await deps.sessions.addFacts(event.data.serverCallId, {
        correlationId: event.data.correlationId,
        participants: participant ? [participant] : [],
      });
      await advance(deps, session, event.id);
      return;
    }
    case "Microsoft.Communication.CallParticipantRemoved":
      return;
    case "Microsoft.Communication.CallEnded": {
      const { serverCallId, correlationId } = event.data;
      await Promise.all([
        deps.sessions.addFacts(serverCallId, { correlationId, ended: true }),
        noteCall(deps, event.data),
      ]);
      // Every call seen gets a ledger entry at its end: pending (a recording is owed), exempt or not required.
      const session = await deps.sessions.get(serverCallId);
      await deps.ledger?.record({
        serverCallId,
        ...(correlationId ? { correlationId } : {}),
        ...outcomeOfDecision(session.decision),
        endedAt: event.time,
      });
      if (session.decision?.record) {
        await deps.queues.enqueue(
          "expect-recording",
          { serverCallId, correlationId },
          jobIdFor("expect-recording", serverCallId),
          { delayMs: deps.recordingExpectedWithinMs },
        );
      }
      return;
    }
    case "Microsoft.Communication.CallConnected": {
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
      return;
    }
    case "Microsoft.Communication.RecordingStateChanged": {
      const { serverCallId, correlationId, recordingId, state, startDateTime, callConnectionId } = event.data;
      // Ordered by when it happened at ACS, not by arrival (ACS promises no order); the placeholder startDateTime
      // marks the state before activation. See docs/acs-payloads.md "State events and connections".
      const update = {
        kind: "event" as const,
        state,
        at: microsOf(event.time) ?? microsOf(receivedAt) ?? Date.now() * 1000,
        initial: state === "inactive" && isPlaceholderStart(startDateTime),
      };
      const [{ outcome, session }] = await Promise.all([
        deps.sessions.updateRecording(serverCallId, recordingId, update),
        // Our own record that this recording is this call's: its RecordingFileStatusUpdated may name only the call id.
        deps.correlation?.noteRecording(recordingId, serverCallId),
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
          "check-recording",
          { serverCallId, correlationId, recordingId },
          jobIdFor("check-recording", event.id),
          { delayMs: CHECK_DELAY_MS },
        );
      }
      // Active: the announcement may now be due.
      if (session.recordingState === "active") await advance(deps, session, event.id);
      return;
    }
    case "Microsoft.Communication.StartRecordingFailed": {
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
      await deps.queues.enqueue(
        "enforce-start",
        { serverCallId, correlationId, failedRecordingId: recordingId ?? "" },
        jobIdFor("start-failed", serverCallId, recordingId ?? event.id),
      );
      return;
    }
    case "Microsoft.Communication.PlayCompleted":
    case "Microsoft.Communication.PlayFailed": {
      const { serverCallId, correlationId, callConnectionId, operationContext, resultInformation } = event.data;
      if (operationContext !== ANNOUNCEMENT_CONTEXT) return;
      const { ownConnectionId } = await deps.sessions.get(serverCallId);
      if (ownConnectionId && callConnectionId !== ownConnectionId) {
        deps.logger.warn(
          { serverCallId, correlationId, callConnectionId },
          "play result of another connection: ignored",
        );
        return;
      }
      const played = event.type === "Microsoft.Communication.PlayCompleted";
      await deps.sessions.setAnnouncement(serverCallId, {
        status: played ? "played" : "failed",
        ...(resultInformation?.message ? { detail: resultInformation.message } : {}),
      });
      const log = { serverCallId, correlationId, detail: resultInformation?.message };
      if (played) deps.logger.info(log, "recording announcement played");
      else deps.logger.error({ ...log, alert: true }, "recording announcement failed");
      return;
    }
    case "Microsoft.Communication.CallDisconnected": {
      const { serverCallId, correlationId, callConnectionId } = event.data;
      const { ownConnectionId } = await deps.sessions.get(serverCallId);
      const ours = callConnectionId === ownConnectionId;
      deps.logger.info(
        { serverCallId, correlationId, callConnectionId, ours },
        ours ? "our call connection ended" : "another connection to the call ended",
      );
      return;
    }
    case "Microsoft.Communication.RecordingFileStatusUpdated":
      return recordingReady(deps, event, receivedAt);
  }
}

/**
 * The calling events and callbacks name the call's correlationId, which we take for the `{call-id}` of its recording
 * events: Microsoft's "Call Recording logs" page groups one callID's recordings under one CorrelationId, and "Voice
 * and video calling logs" says a call is depicted by correlationId (docs/archive.md "Correlation"). Remembered so a
 * recording event that names only the call id still finds its call.
 */
async function noteCall(deps: WorkerDependencies, ids: { serverCallId: string; correlationId: string }) {
  await deps.correlation?.noteCall(ids.correlationId, ids.serverCallId);
}

/**
 * A recording is ready: one ingest job per chunk, keyed by the recording's own identity (its recordingId, else
 * its first chunk's documentId; never the call's latest recording, src/correlation recordingKeyOf). The call is
 * looked up here for the logs and the jobs; a job that finds none looks again, and whatever is still not found
 * is archived in the quarantine area (docs/archive.md).
 */
async function recordingReady(
  deps: WorkerDependencies,
  event: Extract<Payload["event"], { type: "Microsoft.Communication.RecordingFileStatusUpdated" }>,
  receivedAt: string,
): Promise<void> {
  const subject = parseRecordingSubject(event.subject);
  const chunks = event.data.recordingStorageInfo.recordingChunks;
  if (subject?.recordingId && event.data.recordingId && subject.recordingId !== event.data.recordingId)
    deps.logger.warn(
      { subject: event.subject, dataRecordingId: event.data.recordingId },
      "recording event: subject and data name different recordings; the subject's is used",
    );
  const knownRecordingId = subject?.recordingId ?? event.data.recordingId;
  const recordingId = recordingKeyOf(knownRecordingId, chunks);
  const [byRecordingId, byCallId] = await Promise.all([
    knownRecordingId ? deps.correlation?.callOfRecording(knownRecordingId) : undefined,
    subject ? deps.correlation?.callOfCallId(subject.callId) : undefined,
  ]);
  const found = correlate({ serverCallId: subject?.serverCallId, byRecordingId, byCallId });
  const serverCallId = found.serverCallId;
  const correlationId = serverCallId ? (await deps.sessions.logIds(serverCallId)).correlationId : undefined;
  const log = { serverCallId, correlationId, recordingId, callId: subject?.callId, via: found.via };
  if (!subject) deps.logger.warn({ ...log, subject: event.subject }, "recording event: subject names no call");
  if (found.disagreements.length > 0)
    deps.logger.warn({ ...log, disagreements: found.disagreements }, "recording event: clues name different calls");
  const acsExpiresAt = acsExpiry(event.time);
  for (const chunk of chunks) {
    // Keyed by recording and chunk: a replayed event enqueues nothing new.
    await deps.queues.enqueue(
      "ingest-chunk",
      {
        ...(serverCallId ? { serverCallId } : {}),
        correlationId,
        ...(found.via ? { via: found.via } : {}),
        ...(subject ? { callId: subject.callId } : {}),
        recordingId,
        recordingStartTime: event.data.recordingStartTime,
        firstSeenAt: receivedAt,
        chunk,
        recordingChunks: chunks.map(({ index, documentId, endReason, contentLocation }) => ({
          index,
          documentId,
          endReason,
          contentLocation,
        })),
        ...(acsExpiresAt ? { acsExpiresAt } : {}),
      },
      jobIdFor("ingest", recordingId, String(chunk.index)),
      // Nearest expiry first; the deadline sweep raises it as time passes.
      { priority: ingestPriority(acsExpiresAt, new Date()) },
    );
  }
  deps.logger.info({ ...log, chunks: chunks.length }, "recording ready: ingest queued");
}

/**
 * Re-decides from all facts known so far (the decision is a pure function of them, so any delivery order ends
 * with the same decision), then starts each due action exactly once. A call already over is still connected
 * to: ACS answers 8522 and that failure is on record rather than silently skipped.
 *
 * Claiming a step and queueing its job are two writes (different slots on a Cluster): a worker killed between
 * them must not leave the step claimed and never done. So a claim is held by the event that took it (`eventId`;
 * connect-call.ts passes its own stable name when our connect's answer is what makes steps due),
 * whose redelivery — BullMQ runs a killed worker's job again — claims it again and queues the job again; the
 * job id is the call's and step's, so a job that was queued the first time is not queued twice.
 */
export async function advance(
  deps: WorkerDependencies,
  session: CallSession,
  eventId: string,
  incoming?: { context: string | undefined; keptApart: boolean },
): Promise<"rejecting" | undefined> {
  const { serverCallId, participants, caller, callee, startedAt } = session;
  // Policy reloads apply to new calls: a call in progress keeps the set that first decided it (when this
  // process still has it; a replica started since then uses its current set).
  const pinned = session.policySetHash ? deps.policiesFor(session.policySetHash) : undefined;
  const decision = decide(pinned ?? deps.policies(), {
    participants,
    caller,
    callee,
    at: startedAt,
    callKey: serverCallId,
  });
  const ring = incoming?.context ? { keptApart: incoming.keptApart } : undefined;
  const health = needsHealth(decision, ring)
    ? assessHealth(await deps.health.read(), deps.healthSettings.failuresToTrip)
    : undefined;
  const plan = planCall(session, decision, health, ring);
  // Decision, claims and the metrics tally in one round trip: this is on the path from CallStarted to the recording.
  const held = await deps.sessions.settle(serverCallId, {
    decision,
    factsVersion: session.factsVersion,
    ...(plan.pinPolicySet ? { pinPolicySet: plan.pinPolicySet } : {}),
    claims: plan.claims,
    owner: `event:${eventId}`,
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
    await deps.queues.enqueue(
      job.name,
      job.payload,
      jobIdFor(serverCallId, job.step),
      job.delayMs !== undefined ? { delayMs: job.delayMs } : undefined,
    );
  }
  if (plan.reject) return "rejecting";
  // Removed last, off the path to the recording; one already running is left to finish.
  if (plan.removeRingWatch && held.has("connect")) {
    await deps.queues.remove("connect-ringing", jobIdFor(serverCallId, "ring-watch"));
  }
  return undefined;
}
