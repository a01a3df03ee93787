import type { HealthVerdict } from "../health/index.js";
import type { CallConsent, Decision } from "../policy/index.js";
import type { JobName, PayloadOf } from "../queues/index.js";
import {
  type CallSession,
  type OnceStep,
  DEFAULT_START_WITHIN_SECONDS,
  incomingCallAction,
  rejectsUnrecordableCalls,
} from "../sessions/index.js";
import { announcementJobs } from "./announce.js";
import { ourSideOnlyPlan } from "./our-side-only.js";
import { consentGate, consentOf, type ConsentGate } from "./consent.js";
import { jobsOfConsent } from "./consent-plan.js";
import { scopeVerdict, type ScopeVerdict } from "./scope.js";

/**
 * A job the plan starts once its step's claim is held, typed by job kind: its name fixes its payload. Its id is
 * the call's and step's (the shell derives it), so a redelivery that claims the step again queues nothing twice.
 */
export type PlannedJob = {
  [N in JobName]: {
    step: OnceStep;
    name: N;
    payload: PayloadOf<N>;
    delayMs?: number;
    /** The line that says why, logged just before the job is queued. */
    log?: { level: "info" | "warn"; message: string; fields: Record<string, unknown> };
  };
}[JobName];

/** What one look at a call decides: the writes of the settlement, then the jobs to queue for the claims held. */
export interface CallPlan {
  decision: Decision;
  /** Pin the call to the set that decides it now, unless one is already pinned (reloads apply to new calls). */
  pinPolicySet?: string;
  /** Once-per-call steps to claim, in the order their jobs are queued. */
  claims: OnceStep[];
  /** The once-per-call step that counts the decision's outcome in the metrics, with its labels. */
  tally: OnceStep;
  tallyLabels: { record: string; reason: string };
  /** In the order they are queued; each only if its step's claim is held. */
  jobs: PlannedJob[];
  /**
   * The call is refused while it rings (nothing is joined, whoever holds the claim). `keepContextApart`: the
   * IncomingCall context came with the event and must be put where reject-call reads it before its job is queued.
   */
  reject?: { reason: string; keepContextApart: boolean };
  /** A connect held by this plan ends the ring watchdog: its waiting job is removed (off the path to the recording). */
  removeRingWatch: boolean;
  /** Why nothing is recorded, for a call that started (a ring alone is not worth a line). */
  notRecording?: { reason: string };
  /** Where consent and notice stand (src/calls/consent.ts); absent when the call is not recorded. */
  consent?: ConsentGate;
}

/** The call is being handled at its IncomingCall, with the context that alone can refuse it. */
export interface Ringing {
  /** The context is already kept apart (src/sessions/ring-context.ts), not carried by the event's job. */
  keptApart: boolean;
}

/** Only while it rings, and only under a policy that rejects unrecordable calls, is the health view asked. */
export function needsHealth(decision: Decision, ring: Ringing | undefined): boolean {
  return !!ring && decision.record && rejectsUnrecordableCalls(decision);
}

/**
 * What a call needs next, from what we know of it: a pure function, so that the same facts give the same
 * actions whatever order the events came in. Each action runs at most once per call (claimed in the store).
 */
export function dueActions(
  session: Pick<CallSession, "rang" | "started" | "callConnectionId"> & Partial<Pick<CallSession, "recordingState">>,
  decision: Decision,
): OnceStep[] {
  if (!decision.record) return [];
  const actions: OnceStep[] = [];
  if (session.started) actions.push("connect");
  // A call known only from IncomingCall (PSTN and Teams parties get no CallStarted, docs/acs-payloads.md "Event Grid events") gets a
  // ring watchdog, which connects it once answered unless CallStarted comes first.
  else if (session.rang) actions.push("ring-watch");
  if (session.callConnectionId) actions.push("start-recording");
  // The recording deadline runs from establishment: CallStarted, or our connect for calls without one.
  if (session.started || session.callConnectionId) actions.push("enforce-start");
  // Everyone hears that the call is recorded once it is: after recording is active, on our connection.
  if (decision.announcement && session.recordingState === "active" && session.callConnectionId)
    actions.push("announce");
  return actions;
}

/**
 * Plans one look at a call: from its facts, the decision made of them and (only when `needsHealth`) the health
 * verdict, which steps to claim, what to pin and count, and the job each step starts. Pure: the job handler
 * (workers/jobs/control/call-event.ts `advance`) only settles the claims in one round trip and queues the jobs held.
 */
export function planCall(
  session: CallSession,
  decision: Decision,
  health?: HealthVerdict,
  ring?: Ringing,
  consent?: CallConsent,
): CallPlan {
  const { serverCallId } = session;
  const correlationId = session.correlationId ?? "";
  const record = decision.record ? "yes" : "no";
  const outcome = decision.record ? decision.mode : decision.reason;
  const base = {
    decision,
    ...(!session.policySetHash && decision.policySetHash ? { pinPolicySet: decision.policySetHash } : {}),
    // Each call counts once per decision outcome it reaches (the tally's claim makes that exact).
    tally: `decided:${record}:${outcome}` as OnceStep,
    tallyLabels: { record, reason: outcome },
  };
  if (!decision.record) {
    return {
      ...base,
      claims: [],
      jobs: [],
      removeRingWatch: false,
      ...(session.started ? { notRecording: { reason: decision.explanation } } : {}),
    };
  }
  // Only while handling IncomingCall can a call be refused, and only when recording is known to be impossible.
  if (needsHealth(decision, ring)) {
    if (!health) throw new Error(`planning ${serverCallId}: the policy rejects unrecordable calls, no health given`);
    const action = incomingCallAction(session, decision, health);
    if (action.kind === "reject") {
      return {
        ...base,
        claims: ["reject"],
        jobs: [
          {
            step: "reject",
            name: "reject-call",
            payload: { serverCallId, correlationId, reason: action.reason },
            log: {
              level: "warn",
              message: "rejecting the incoming call",
              fields: { teamId: decision.teamId, reason: action.reason },
            },
          },
        ],
        // Rejected (or being rejected): nothing to join. Should the reject fail, reject-call falls back to the watchdog.
        reject: { reason: action.reason, keepContextApart: !ring?.keptApart },
        removeRingWatch: false,
      };
    }
  }
  const gate = consentGate(session, consent);
  // Until consent is given (or the notice played) nothing is started, and the start deadline — which runs from the
  // moment recording may start — is not armed yet (docs/consent-flow.md).
  const claims = dueActions(session, decision).filter(
    (step) => gate.kind === "open" || (step !== "start-recording" && step !== "enforce-start"),
  );
  const jobs: PlannedJob[] = [];
  for (const step of claims) {
    const job = jobOfStep(step, session, decision);
    if (job) jobs.push(job);
  }
  for (const job of jobsOfConsent(gate, session)) {
    claims.push(job.step);
    jobs.push(job);
  }
  // A later recording announced to everyone again, and joiners told on their own leg (src/calls/announce.ts).
  for (const job of announcementJobs(session, decision, consent)) {
    claims.push(job.step);
    jobs.push(job);
  }
  // Who is on the call may make a stop, a confirmation or a new recording due (claimed like every other step). A new
  // recording after a scope stop waits for the consent gate like the first one: while someone's consent is
  // outstanding (or a notice is still to be played) it is not started — not claimed either, so it is planned once
  // the gate opens (docs/consent-flow.md "A new recording after a stop by scope"). A call recorded for our side only
  // keeps its gate closed on the refusal for good: once the refusers are on record as never archived, its new
  // recording starts at once, as the our-side recording (scopeAction).
  const ourSideOnly =
    gate.kind === "closed" &&
    gate.fallback === "record-our-side-only" &&
    gate.party !== undefined &&
    !!session.unarchivedParties?.[gate.party];
  const scope = scopeAction(session, decision);
  if (scope.kind !== "none" && !(scope.kind === "start" && gate.kind !== "open" && !ourSideOnly)) {
    claims.push(scope.job.step);
    jobs.push(scope.job);
  }
  // This plan connects the call: a ring watchdog still waiting has nothing left to do (were it to run, it would
  // find the connect claimed and step aside).
  return { ...base, claims, jobs, removeRingWatch: claims.includes("connect") && session.rang, consent: gate };
}

function jobOfStep(
  step: OnceStep,
  session: CallSession,
  decision: Extract<Decision, { record: true }>,
): PlannedJob | undefined {
  const { serverCallId, callConnectionId } = session;
  const correlationId = session.correlationId ?? "";
  switch (step) {
    case "connect":
    case "ring-watch":
      return {
        step,
        name: step === "connect" ? "connect-call" : "connect-ringing",
        payload: { serverCallId, correlationId },
        log: {
          level: "info",
          message:
            step === "connect" ? "recording required: connecting" : "recording required: connecting once answered",
          fields: {
            teamId: decision.teamId,
            ruleId: decision.ruleId,
            policyHash: decision.policyHash,
            reason: decision.explanation,
          },
        },
      };
    case "start-recording":
      if (!callConnectionId) return undefined; // dueActions asks this only with a connection
      return {
        step,
        name: "start-recording",
        payload: {
          serverCallId,
          correlationId,
          callConnectionId,
          recording: decision.recording,
          ...timeToRecordOrigin(session),
        },
      };
    case "enforce-start": {
      const seconds = decision.enforcement?.startWithinSeconds ?? DEFAULT_START_WITHIN_SECONDS;
      return { step, name: "enforce-start", payload: { serverCallId, correlationId }, delayMs: seconds * 1000 };
    }
    case "announce":
      if (!decision.announcement || !callConnectionId) return undefined; // dueActions asks this only with both
      return {
        step,
        name: "play-announcement",
        payload: { serverCallId, correlationId, callConnectionId, announcement: decision.announcement },
      };
    default:
      return undefined;
  }
}

/**
 * Where time-to-record starts: CallStarted's arrival, else (PSTN and Teams parties) IncomingCall's; for a call that
 * waited for consent or a notice, the arrival of the answer that let recording start (a person's answering time is
 * not the system's latency).
 */
export function timeToRecordOrigin(
  session: Pick<CallSession, "startedSeenAt" | "rangSeenAt"> &
    Partial<Pick<CallSession, "consentAnswer" | "consentParties">>,
): Pick<PayloadOf<"start-recording">, "seenAt" | "seenVia"> {
  // All-party consent: recording may start when the last consent arrives.
  const answers = [
    session.consentAnswer,
    ...Object.values(session.consentParties ?? {}).map((facts) => facts.answer),
  ].flatMap((raw) => {
    const answer = consentOf({ consentAsked: undefined, consentAnswer: raw }).answer;
    return answer ? [answer] : [];
  });
  const answered = answers.sort((a, b) => (a.seenAt ?? "").localeCompare(b.seenAt ?? "")).at(-1);
  if (answered?.seenAt && (answered.outcome === "given" || answered.outcome === "notified"))
    return { seenAt: answered.seenAt, seenVia: "consent" };
  if (session.startedSeenAt) return { seenAt: session.startedSeenAt, seenVia: "call-started" };
  if (session.rangSeenAt) return { seenAt: session.rangSeenAt, seenVia: "incoming-call" };
  return {};
}

/**
 * How long a stop by scope waits before it acts. At the end of a call ACS reports everyone leaving before (or
 * with) CallEnded (docs/acs-payloads.md "Participants"): a leave is taken for a stop only if the call is still on
 * when the job runs (stop-recording re-plans then, and a call that ended has nothing to stop). The recording runs
 * this much longer than the last person in scope stayed.
 */
export const SCOPE_STOP_SETTLE_MS = 1_500;

/** What presence makes due for a recorded call: nothing, a stop, a question to ACS, or a new recording. */
export type ScopeAction =
  | { kind: "none"; reason: string; verdict?: ScopeVerdict }
  | { kind: "stop" | "confirm" | "start"; reason: string; verdict: ScopeVerdict; job: PlannedJob };

/**
 * What the call's presence observations make due (docs/recording-control.md "Someone leaves mid-call"): the pure
 * half of scope following presence. `scopeVerdict` says whether the recording should run; this says what to do
 * about it given the recordings the call has. Each action is a once-per-call step, named so that every recording
 * is stopped once (`stop-recording:<recordingId>`), every recording after a scope stop started once
 * (`start-recording:<n>`, its generation), and ACS asked once per state of knowledge (`confirm-presence:<count>`).
 * A recording stopped on request stays stopped for the rest of the call: nobody restarts what a customer refused.
 */
export function scopeAction(session: CallSession, decision: Decision): ScopeAction {
  const none = (reason: string, verdict?: ScopeVerdict): ScopeAction => ({
    kind: "none",
    reason,
    ...(verdict ? { verdict } : {}),
  });
  if (!decision.record) return none("the call is not to be recorded");
  if (session.ended) return none("the call has ended");
  const { serverCallId, callConnectionId, recordingId } = session;
  if (!callConnectionId) return none("not connected to the call");
  // A decision stored by a version that did not know scope says nothing of who it is for: never stop on that.
  if (!decision.inScope) return none("the decision names nobody in scope");
  const requested = Object.values(session.stops).find((stop) => stop.trigger === "request");
  if (requested) return none(`stopped on request by ${requested.by} (${requested.reason})`);
  const verdict = scopeVerdict({
    observations: session.presence,
    until: decision.until ?? "last-in-scope-leaves",
    inScope: decision.inScope,
  });
  const correlationId = session.correlationId ?? "";
  const latestStop = recordingId ? session.stops[recordingId] : undefined;
  switch (verdict.want) {
    case "confirm": {
      const step: OnceStep = `confirm-presence:${session.presence.length}`;
      return {
        kind: "confirm",
        reason: `sources disagree about ${verdict.inDoubt.join(", ")}`,
        verdict,
        job: {
          step,
          name: "confirm-presence",
          payload: { serverCallId, correlationId, callConnectionId, observations: session.presence.length },
        },
      };
    }
    case "stop": {
      // A start still on its way has no recording id yet: its state event plans again once it is active.
      if (!recordingId) return none("nobody in scope is on the call, and no recording is known yet", verdict);
      if (latestStop) return none(`the recording is already stopped (${latestStop.trigger})`, verdict);
      return {
        kind: "stop",
        reason: verdict.reason,
        verdict,
        job: {
          step: `stop-recording:${recordingId}`,
          name: "stop-recording",
          delayMs: SCOPE_STOP_SETTLE_MS,
          payload: { serverCallId, correlationId, recordingId, trigger: "scope", by: "scope", reason: verdict.reason },
          log: {
            level: "info",
            message: "nobody in scope is on the call: stopping the recording",
            fields: { recordingId, present: verdict.present, inScope: decision.inScope },
          },
        },
      };
    }
    case "record": {
      if (latestStop?.trigger !== "scope") return none(verdict.reason, verdict);
      // Someone did not consent and the call is recorded for our side only: a new recording is that recording too —
      // unmixed, in ACS's storage — never the rule's, which could write their audio into the team's own container
      // (docs/consent-flow.md "Our side only").
      const unarchived = Object.keys(session.unarchivedParties ?? {});
      const recording = unarchived.length > 0 ? ourSideOnlyPlan(decision, unarchived) : decision.recording;
      if (!recording) return none("recorded for our side only, which needs the rule's unmixed WAV audio", verdict);
      // The recordings stopped by scope so far, plus the first: which recording of the call this one is.
      const generation = Object.values(session.stops).filter((stop) => stop.trigger === "scope").length + 1;
      return {
        kind: "start",
        reason: `${verdict.inScopePresent.join(", ")} on the call again`,
        verdict,
        job: {
          step: `start-recording:${generation}`,
          name: "start-recording",
          payload: { serverCallId, correlationId, callConnectionId, recording, generation },
          log: {
            level: "info",
            message: "someone in scope is on the call again: starting a new recording",
            fields: { generation, inScopePresent: verdict.inScopePresent },
          },
        },
      };
    }
  }
}
