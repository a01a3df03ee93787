import { judgeAnswer } from "../consent/index.js";
import type { AcsEvent } from "../intake/index.js";
import type { ConsentRecord, LedgerEntry } from "../ledger/index.js";
import type { CallConsent } from "../policy/index.js";
import {
  type CallSession,
  type ConsentAnswer,
  type ConsentAsked,
  type ConsentEvidence,
  type ConsentFallback,
  describeConsent,
  parseConsentFact,
} from "../sessions/index.js";

/**
 * Whether a recorded call may start recording yet, as far as consent and notice go (docs/consent-flow.md). Pure, a
 * function of the call's consent evidence (session facts) and the consent decision of its parties (src/policy
 * decideConsent), tested by a table.
 *
 * The guarantee "a recording never holds audio from before consent" is kept by never **starting** the recording
 * before consent is given (or the notice played): no recording exists at ACS until then, so nothing of the call
 * before that moment can be in one. Once asked, the ask on record (what was asked, of whom, with which fallbacks)
 * decides; a later change of parties does not ask again.
 */
export type ConsentGate =
  /**
   * Nothing stands in the way: no consent needed, consent given, or the notice played. `resume`: the recording was
   * paused by the consent flow (a joiner was asked) and everyone has consented since: resume it.
   */
  | { kind: "open"; reason: string; resume?: { recordingId: string; pausedAt: string } }
  /** Asked, no answer yet; or not connected yet (the ask needs our call connection). */
  | { kind: "waiting"; reason: string }
  /** Ask now: play the prompt and recognize the answer on the deciding party's leg. */
  | { kind: "ask"; asked: Omit<Extract<ConsentAsked, { requirement: "consent" }>, "at"> }
  /** Play the notice now; recording starts once it has been played. */
  | { kind: "notify"; asked: Omit<Extract<ConsentAsked, { requirement: "notice" }>, "at"> }
  /** Nothing is to be recorded: refused, silent, could not be asked, or the notice could not be played. */
  | {
      kind: "closed";
      reason: string;
      fallback: ConsentFallback;
      /** Who refused or was silent (all-party consent and joiners: their raw id). */
      party?: string;
      /** A recording that runs (or is paused) while the consent is refused: it must be stopped, or left paused. */
      recordingId?: string;
    }
  /**
   * A recording exists and someone's consent is outstanding (they joined once it had started, or were asked while it
   * started): pause it now, before they are asked (docs/consent-flow.md "Joiners once recording has started").
   */
  | { kind: "pause"; reason: string; party: string; recordingId: string };

/** `PauseState.by` of a pause the consent flow made (so that it is resumed on consent, and only such a pause). */
export const CONSENT_PAUSE_BY = "consent";

/** What the gate needs of a call's recording. */
type RecordingFacts = Partial<
  Pick<
    CallSession,
    "recordingId" | "recordings" | "stops" | "pause" | "startClaimed" | "restartClaimed" | "unarchivedParties"
  >
>;

/** The call's recording that runs or is paused (not stopped on purpose), if any. */
export function liveRecordingOf(session: RecordingFacts): string | undefined {
  const { recordingId } = session;
  return recordingId !== undefined && !session.stops?.[recordingId] ? recordingId : undefined;
}

/**
 * The start window: the start of the recording has been claimed (it is on its way to ACS, or accepted), but its
 * recordingId is not known yet. Nobody can be paused yet: a newcomer waits until it can be.
 */
const isStarting = (session: RecordingFacts) =>
  (session.startClaimed === true && !hasRecording(session)) || isRestarting(session);

/**
 * A new recording after a scope stop is on its way: its start (`start-recording:<n>`, n = scope stops + 1) is claimed
 * and the call's recording is still the one stopped by scope (the new one's id replaces it once ACS names it).
 */
function isRestarting(session: RecordingFacts): boolean {
  const { recordingId, stops } = session;
  if (recordingId === undefined || stops?.[recordingId]?.trigger !== "scope") return false;
  const scopeStops = Object.values(stops).filter((stop) => stop.trigger === "scope").length;
  return (session.restartClaimed ?? 0) > scopeStops;
}

/** The evidence held in a session's two facts. */
export function consentOf(session: Pick<CallSession, "consentAsked" | "consentAnswer">): ConsentEvidence {
  const asked = parseConsentFact<ConsentAsked>(session.consentAsked);
  const answer = parseConsentFact<ConsentAnswer>(session.consentAnswer);
  return { ...(asked ? { asked } : {}), ...(answer ? { answer } : {}) };
}

type ConsentAsk = Extract<ConsentAsked, { requirement: "consent" }>;

/** One party's consent evidence (all-party consent): what they were asked, and what they answered. */
export interface PartyConsent {
  party: string;
  asked?: ConsentAsk;
  answer?: ConsentAnswer;
}

/**
 * Everyone the consent on record is for, in the order they are asked, with each one's evidence: the first from the
 * session's `consentAsked` / `consentAnswer`, the others from `consentParties`. Empty when no consent was asked.
 */
export function partiesOf(
  session: Pick<CallSession, "consentAsked" | "consentAnswer" | "consentParties">,
): PartyConsent[] {
  const { asked, answer } = consentOf(session);
  if (!asked) return [];
  // Further parties asked after someone joined (not in the first ask's `parties`), in the order they were asked.
  const later = Object.entries(session.consentParties ?? {})
    .map(([party, facts]) => [party, parseConsentFact<ConsentAsk>(facts.asked)?.at ?? "~"] as const)
    .sort((x, y) => x[1].localeCompare(y[1]) || x[0].localeCompare(y[0]))
    .map(([party]) => party);
  const theirs = (party: string): PartyConsent => {
    const facts = session.consentParties?.[party];
    const question = parseConsentFact<ConsentAsk>(facts?.asked);
    const said = parseConsentFact<ConsentAnswer>(facts?.answer);
    return { party, ...(question ? { asked: question } : {}), ...(said ? { answer: said } : {}) };
  };
  // A notice was the call's first ask; consent became required since (a joiner): the questions asked after it.
  if (asked.requirement !== "consent") return later.map(theirs);
  const order = [...new Set([asked.target, ...(asked.parties ?? []), ...later])];
  return order.map((party) =>
    party === asked.target ? { party, asked, ...(answer ? { answer } : {}) } : theirs(party),
  );
}

/** One party's evidence in words (describeConsent of their ask and answer). */
const describeParty = (p: PartyConsent) =>
  p.asked ? describeConsent({ asked: p.asked, ...(p.answer ? { answer: p.answer } : {}) }) : `${p.party} not asked yet`;

/** Whether the call has (or had) a recording. */
export const hasRecording = (session: Partial<Pick<CallSession, "recordingId" | "recordings">>) =>
  session.recordingId !== undefined || Object.keys(session.recordings ?? {}).length > 0;

/**
 * Before a person is asked, or while their answer is awaited, with a recording running: pause it first, or (in the
 * start window, its id not known yet) wait until it can be paused (docs/consent-flow.md "Joiners once recording has
 * started"). Undefined: nothing stands before asking (no recording, or it is paused already).
 */
function beforeAsking(session: RecordingFacts, party: string): ConsentGate | undefined {
  if (isStarting(session))
    return { kind: "waiting", reason: `${party}: the recording is starting; paused once ACS names it, then asked` };
  const recordingId = liveRecordingOf(session);
  if (recordingId !== undefined && !session.pause)
    return { kind: "pause", party, recordingId, reason: `${party}'s consent is outstanding while recording` };
  return undefined;
}

/**
 * No consent from `party` (refused, silent, could not be asked): the policy's action. Before any recording exists,
 * as always; with one (a joiner once recording had started, or in the start window), the gate also names the
 * recording so the plan stops it (record-nothing) or leaves it paused (record-our-side-only); in the start window a
 * refusal waits for the recording's id, except end-call (hanging up ends the recording with the call).
 */
function closedFor(session: RecordingFacts, party: string, reason: string, fallback: ConsentFallback): ConsentGate {
  if (isStarting(session) && fallback !== "end-call")
    return { kind: "waiting", reason: `${reason}; the recording is starting: acted on once ACS names it` };
  const recordingId = liveRecordingOf(session);
  if (recordingId === undefined) return { kind: "closed", reason, fallback, party };
  // Our side only is for the consent-fallback job to decide; until it does, nothing of the refuser is recorded. Once
  // they are on record as never archived (the job's first step), the recording runs: their channel is dropped at
  // ingest (docs/consent-flow.md "Our side only") — and the recording the job started for our side is not paused.
  if (fallback === "record-our-side-only" && !session.pause && !session.unarchivedParties?.[party])
    return { kind: "pause", party, recordingId, reason: `${reason}; paused until the fallback decides` };
  return { kind: "closed", reason, fallback, party, recordingId };
}

/**
 * The gate of an all-party consent once the first party was asked: each party in turn, one question at a time (the
 * next is asked once the one before has consented); any refusal or silence closes it with the policy's action.
 * Someone who comes on the call later is asked too, after the others: before any recording exists as the others;
 * once one exists (or is starting), after it has been paused, and it is resumed when all have consented.
 */
function gateOfParties(
  session: Pick<CallSession, "consentAsked" | "consentAnswer" | "consentParties" | "callConnectionId"> & RecordingFacts,
  first: Omit<ConsentAsk, "at"> & { at?: string },
  consent: CallConsent | undefined,
  known: PartyConsent[] = partiesOf(session),
): ConsentGate {
  // A person outside the recording teams who has come on the call since the first question (participants are told
  // over time) is asked too, after the others.
  const joined =
    consent?.requirement === "consent"
      ? (consent.ask ?? []).filter((party) => !known.some((p) => p.party === party))
      : [];
  const parties: PartyConsent[] = [...known, ...joined.map((party) => ({ party }))];
  for (const p of parties) {
    if (!p.asked) {
      if (!session.callConnectionId) return { kind: "waiting", reason: `consent of ${p.party} due once connected` };
      const held = beforeAsking(session, p.party);
      if (held) return held;
      const { at: _at, ...question } = first;
      // `parties`: everyone asked so far and now, the first first (so the ask is told apart as a further party's).
      return { kind: "ask", asked: { ...question, target: p.party, parties: parties.map((q) => q.party) } };
    }
    const reason = describeParty(p);
    // Asked while a recording was starting (a start already claimed when they were asked): paused now.
    if (!p.answer) return beforeAsking(session, p.party) ?? { kind: "waiting", reason };
    if (p.answer.outcome === "refused") return closedFor(session, p.party, reason, p.asked.onRefusal);
    // Silence, and anything that kept the question from being asked or answered, is no consent.
    if (p.answer.outcome !== "given") return closedFor(session, p.party, reason, p.asked.onSilence);
  }
  return openGate(session, parties.map(describeParty).join("; "));
}

/**
 * A notice was played, and consent is required now (someone from an all-party-consent jurisdiction joined: the
 * strictest party decides for the whole call, docs/consent.md): everyone outside the recording teams is asked — the
 * joiner and those who were only told — one at a time, after the recording (if any) was paused, and it is resumed
 * once all have consented; the now-strictest rule's fallback applies on a refusal or silence. The first question
 * asked after the notice fixes the question (its prompt, answers, timeout and fallbacks); until then the decision's.
 * Open when consent is not required and nobody was asked since the notice.
 */
function gateAfterNotice(
  session: Pick<CallSession, "consentAsked" | "consentAnswer" | "consentParties" | "callConnectionId"> & RecordingFacts,
  notice: Extract<ConsentAsked, { requirement: "notice" }>,
  reason: string,
  consent: CallConsent | undefined,
): ConsentGate {
  const known = partiesOf(session);
  const template =
    known.find((p) => p.asked)?.asked ??
    (consent?.requirement === "consent"
      ? { ...questionOf(consent, consent.decidedBy.party), afterNotice: notice.at }
      : undefined);
  if (!template) return openGate(session, reason);
  const gate = gateOfParties(session, template, consent, known);
  return gate.kind === "open" ? { ...gate, reason: `${reason}; ${gate.reason}` } : gate;
}

/** The question a consent decision asks of `target` (docs/consent-flow.md "Who is asked"). */
function questionOf(consent: Extract<CallConsent, { requirement: "consent" }>, target: string): Omit<ConsentAsk, "at"> {
  return {
    requirement: "consent",
    decidedBy: {
      party: consent.decidedBy.party,
      jurisdiction: consent.decidedBy.jurisdiction,
      set: consent.decidedBy.set,
    },
    target,
    ...(consent.ask && consent.ask.length > 1 ? { parties: [...consent.ask] } : {}),
    prompt: consent.prompt,
    accept: { dtmf: [...consent.accept.dtmf], speech: [...consent.accept.speech] },
    timeoutSeconds: consent.timeoutSeconds,
    onRefusal: consent.onRefusal,
    onSilence: consent.onSilence,
    explanation: consent.explanation,
  };
}

/**
 * Whether someone asked has not consented: their answer is awaited, or was a refusal or silence (whose action is on
 * its way). A recording paused while so (an operator's PCI pause) must not be resumed by anyone but the consent flow:
 * an operator's resume, or the pause's automatic resume, turns the pause into a consent pause instead
 * (docs/consent-flow.md "A joiner during an operator's pause"). Pure: the session's evidence only.
 */
export function consentOutstanding(
  session: Pick<CallSession, "consentAsked" | "consentAnswer" | "consentParties">,
): string | undefined {
  return partiesOf(session).find((p) => p.asked && p.answer?.outcome !== "given")?.party;
}

/** Everyone has consented: open, and a pause the consent flow made is to be resumed. */
function openGate(session: RecordingFacts, reason: string): ConsentGate {
  const recordingId = liveRecordingOf(session);
  if (recordingId !== undefined && session.pause?.by === CONSENT_PAUSE_BY)
    return { kind: "open", reason, resume: { recordingId, pausedAt: session.pause.at } };
  return { kind: "open", reason };
}

export function consentGate(
  session: Pick<CallSession, "consentAsked" | "consentAnswer" | "consentParties" | "callConnectionId"> & RecordingFacts,
  consent: CallConsent | undefined,
): ConsentGate {
  const evidence = consentOf(session);
  const { asked, answer } = evidence;
  // Consent: each party in turn (one party: the one asked), any refusal or silence closes it.
  if (asked?.requirement === "consent") return gateOfParties(session, asked, consent);
  if (asked) {
    if (!answer) return { kind: "waiting", reason: describeConsent(evidence) };
    const reason = describeConsent(evidence);
    return answer.outcome === "notified"
      ? gateAfterNotice(session, asked, reason, consent)
      : { kind: "closed", reason, fallback: "record-nothing" };
  }
  if (!consent || consent.requirement === "none") return { kind: "open", reason: "no consent or notice required" };
  // Whom a prompt is for (src/policy decideConsent `ask`): the people outside the recording teams. None: everyone
  // on the call is a member, whose consent to recording at work is not a prompt's business (docs/consent.md).
  const target =
    consent.requirement === "consent" ? (consent.ask ? consent.ask[0] : consent.decidedBy.party) : undefined;
  if (consent.requirement === "consent" && target === undefined)
    return { kind: "open", reason: "consent required, but nobody outside the recording teams is on the call to ask" };
  if (!session.callConnectionId) return { kind: "waiting", reason: `${consent.requirement} due once connected` };
  // The first question of the call once a recording exists (it started with nobody to ask, and a person whose
  // jurisdiction requires consent joined): paused first, as any joiner's.
  const first = target !== undefined ? beforeAsking(session, target) : undefined;
  if (first) return first;
  if (consent.requirement === "notice")
    return {
      kind: "notify",
      asked: {
        requirement: "notice",
        decidedBy: {
          party: consent.decidedBy.party,
          jurisdiction: consent.decidedBy.jurisdiction,
          set: consent.decidedBy.set,
        },
        announcement: consent.announcement,
        explanation: consent.explanation,
      },
    };
  // Everyone outside the recording teams, one at a time, the first first (docs/consent-flow.md "Who is asked").
  return { kind: "ask", asked: questionOf(consent, target ?? consent.decidedBy.party) };
}

/** Whether an ask is of a further party of an all-party consent (not the first asked): its step and job are its own. */
export function isFurtherParty(asked: Pick<ConsentAsk, "target" | "parties" | "afterNotice">): boolean {
  // After a notice, every question is a further one: the call's first ask (and answer) is the notice's.
  return asked.afterNotice !== undefined || (asked.parties !== undefined && asked.parties[0] !== asked.target);
}

/** The operationContext of a consent question's recognize: the first party's as before, a further party's with its id. */
export function consentContextOf(asked: Pick<ConsentAsk, "target" | "parties" | "afterNotice">): string {
  return isFurtherParty(asked) ? `${CONSENT_CONTEXT}:${asked.target}` : CONSENT_CONTEXT;
}

/** Why a refusal or silence leads to no recording, in words, for the ledger and the logs. */
export function fallbackReason(gate: Extract<ConsentGate, { kind: "closed" }>): string {
  switch (gate.fallback) {
    case "record-nothing":
      return `nothing recorded: ${gate.reason}`;
    case "end-call":
      return `call ended: ${gate.reason}`;
    case "record-our-side-only":
      // docs/consent-flow.md "Our side only": ACS records every channel; ingest archives our members' only.
      return `our side only recorded: ${gate.reason}; the channels of those who did not consent are never archived`;
  }
}

/** The operationContext that marks our consent prompt's Recognize* callbacks. */
export const CONSENT_CONTEXT = "recording-consent";

type RecognizeEvent = Extract<
  AcsEvent,
  {
    type:
      | "Microsoft.Communication.RecognizeCompleted"
      | "Microsoft.Communication.RecognizeFailed"
      | "Microsoft.Communication.RecognizeCanceled";
  }
>;

/**
 * What a Recognize* callback says of the consent asked (docs/acs-payloads.md "Recognize"): a recognized answer is
 * consent or a refusal by the policy's accepted keys and phrases (src/consent judgeAnswer); RecognizeFailed with
 * 8510 (initial silence) or 8532 (inter-digit timeout) is silence; any other failure, or a cancel, is `failed`
 * (no consent either). Pure.
 */
export function consentAnswerOf(
  event: RecognizeEvent,
  asked: Extract<ConsentAsked, { requirement: "consent" }>,
): ConsentAnswer {
  const { resultInformation } = event.data;
  const result = {
    at: event.time,
    ...(resultInformation?.code !== undefined ? { code: resultInformation.code } : {}),
    ...(resultInformation?.subCode !== undefined ? { subCode: resultInformation.subCode } : {}),
    ...(resultInformation?.message ? { message: resultInformation.message } : {}),
  };
  if (event.type === "Microsoft.Communication.RecognizeFailed") {
    const silent = resultInformation?.subCode === 8510 || resultInformation?.subCode === 8532;
    return { outcome: silent ? "silent" : "failed", ...result };
  }
  if (event.type === "Microsoft.Communication.RecognizeCanceled") return { outcome: "failed", ...result };
  const { recognitionType, dtmfResult, speechResult, choiceResult } = event.data;
  const verdict =
    recognitionType === "dtmf"
      ? judgeAnswer({ kind: "dtmf", tones: dtmfResult?.tones ?? [] }, asked.accept)
      : judgeAnswer(
          { kind: "speech", text: speechResult?.speech ?? choiceResult?.recognizedPhrase ?? choiceResult?.label ?? "" },
          asked.accept,
        );
  const via =
    recognitionType === "dtmf" || recognitionType === "speech" || recognitionType === "choices"
      ? recognitionType
      : undefined;
  return {
    outcome: verdict.outcome,
    heard: verdict.heard,
    ...(verdict.matched !== undefined ? { matched: verdict.matched } : {}),
    ...(via ? { via } : {}),
    ...result,
  };
}

/** The evidence as the ledger and the manifest keep it; undefined when nothing was asked or announced. */
export function consentRecordOf(
  session: Pick<CallSession, "consentAsked" | "consentAnswer" | "consentParties">,
): ConsentRecord | undefined {
  const evidence = consentOf(session);
  const parties = partiesOf(session);
  if (evidence.asked?.requirement === "consent" && parties.length > 1) return partiesRecordOf(evidence.asked, parties);
  const asking = parties.find((p) => p.asked)?.asked;
  if (evidence.asked?.requirement === "notice" && asking) {
    // Consent required after the notice was played: the notice first, then the questions and answers, in order.
    const record = partiesRecordOf(asking, parties);
    const notice = {
      party: evidence.asked.decidedBy.party,
      askedAt: evidence.asked.at,
      ...answerFields(evidence.answer),
    };
    return {
      ...record,
      summary: `${describeConsent(evidence)}; then ${record.summary}`,
      parties: [notice, ...(record.parties ?? [])],
    };
  }
  const { asked, answer } = evidence;
  if (!asked) return undefined;
  const fallback =
    asked.requirement === "consent" && answer && answer.outcome !== "given"
      ? answer.outcome === "refused"
        ? asked.onRefusal
        : asked.onSilence
      : undefined;
  return {
    summary: describeConsent(evidence),
    requirement: asked.requirement,
    decidedBy: asked.decidedBy,
    ...(asked.requirement === "consent" ? { target: asked.target } : {}),
    askedAt: asked.at,
    ...answerFields(answer),
    ...(fallback ? { fallback } : {}),
  };
}

/** An answer's fields as a consent record carries them (none while unanswered). */
function answerFields(answer: PartyConsent["answer"]) {
  if (!answer) return {};
  return {
    outcome: answer.outcome,
    answeredAt: answer.at,
    ...(answer.heard !== undefined ? { heard: answer.heard } : {}),
    ...(answer.matched !== undefined ? { matched: answer.matched } : {}),
    ...(answer.subCode !== undefined ? { subCode: answer.subCode } : {}),
  };
}

/** One party's ask and answer as the record lists them. */
function partyRecordOf(p: PartyConsent): NonNullable<ConsentRecord["parties"]>[number] {
  return {
    party: p.party,
    ...(p.asked ? { askedAt: p.asked.at } : {}),
    ...answerFields(p.answer),
  };
}

/**
 * The record of an all-party consent: `parties` lists each one's ask and answer; the flat fields (read by anything
 * that knows one party only) are those of the party that settled it — the one who refused or was silent, else the
 * one still awaited, else the last to consent (so that a recording's audio starts after `answeredAt`, as for one
 * party); `askedAt` is the first question's.
 */
function partiesRecordOf(first: ConsentAsk, parties: PartyConsent[]): ConsentRecord {
  const settling =
    parties.find((p) => p.answer && p.answer.outcome !== "given") ??
    parties.find((p) => !p.answer) ??
    parties[parties.length - 1];
  const answer = settling?.answer;
  const fallback =
    answer && answer.outcome !== "given"
      ? answer.outcome === "refused"
        ? first.onRefusal
        : first.onSilence
      : undefined;
  return {
    summary: parties.map(describeParty).join("; "),
    requirement: "consent",
    decidedBy: first.decidedBy,
    target: settling?.party ?? first.target,
    askedAt: first.at,
    ...answerFields(answer),
    ...(fallback ? { fallback } : {}),
    parties: parties.map(partyRecordOf),
  };
}

/**
 * What the consent evidence makes of an ended call's ledger entry: the evidence itself, and — when consent was not
 * given (refused, silent, not asked in time, the call ended before an answer) or the notice was not played — the
 * outcome `exempt` with why: nothing may be recorded, so the missing recording is no gap.
 */
export function ledgerConsentOf(
  session: Pick<CallSession, "consentAsked" | "consentAnswer" | "consentParties" | "callConnectionId"> &
    Partial<Pick<CallSession, "recordingId" | "recordings">>,
): Pick<LedgerEntry, "consent"> & Partial<Pick<LedgerEntry, "outcome" | "reason">> {
  const consent = consentRecordOf(session);
  if (!consent) return {};
  // A recording was made (before a joiner refused, or while they were asked): it is owed and archived like any other;
  // the refusal is in the record (`parties`) and its stop among the entry's stops (docs/consent-flow.md).
  if (hasRecording(session)) return { consent };
  const gate = consentGate(session, undefined);
  if (gate.kind === "open") return { consent };
  // Our side only: a recording is owed (of our members' channels), so the entry is no exemption.
  if (gate.kind === "closed" && gate.fallback === "record-our-side-only") return { consent };
  const reason =
    gate.kind === "closed" ? fallbackReason(gate) : `nothing recorded: the call ended before ${consent.summary}`;
  return { consent, outcome: "exempt", reason: `consent: ${reason}` };
}
