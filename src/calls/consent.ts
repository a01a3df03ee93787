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
  /** Nothing stands in the way: no consent needed, consent given, or the notice played. */
  | { kind: "open"; reason: string }
  /** Asked, no answer yet; or not connected yet (the ask needs our call connection). */
  | { kind: "waiting"; reason: string }
  /** Ask now: play the prompt and recognize the answer on the deciding party's leg. */
  | { kind: "ask"; asked: Omit<Extract<ConsentAsked, { requirement: "consent" }>, "at"> }
  /** Play the notice now; recording starts once it has been played. */
  | { kind: "notify"; asked: Omit<Extract<ConsentAsked, { requirement: "notice" }>, "at"> }
  /** Nothing is to be recorded: refused, silent, could not be asked, or the notice could not be played. */
  | { kind: "closed"; reason: string; fallback: ConsentFallback };

/** The evidence held in a session's two facts. */
export function consentOf(session: Pick<CallSession, "consentAsked" | "consentAnswer">): ConsentEvidence {
  const asked = parseConsentFact<ConsentAsked>(session.consentAsked);
  const answer = parseConsentFact<ConsentAnswer>(session.consentAnswer);
  return { ...(asked ? { asked } : {}), ...(answer ? { answer } : {}) };
}

export function consentGate(
  session: Pick<CallSession, "consentAsked" | "consentAnswer" | "callConnectionId">,
  consent: CallConsent | undefined,
): ConsentGate {
  const evidence = consentOf(session);
  const { asked, answer } = evidence;
  if (asked) {
    if (!answer) return { kind: "waiting", reason: describeConsent(evidence) };
    const reason = describeConsent(evidence);
    if (asked.requirement === "notice")
      return answer.outcome === "notified"
        ? { kind: "open", reason }
        : { kind: "closed", reason, fallback: "record-nothing" };
    switch (answer.outcome) {
      case "given":
        return { kind: "open", reason };
      case "refused":
        return { kind: "closed", reason, fallback: asked.onRefusal };
      default:
        // Silence, and anything that kept the question from being asked or answered, is no consent.
        return { kind: "closed", reason, fallback: asked.onSilence };
    }
  }
  if (!consent || consent.requirement === "none") return { kind: "open", reason: "no consent or notice required" };
  // Whom a prompt is for (src/policy decideConsent `ask`): the people outside the recording teams. None: everyone
  // on the call is a member, whose consent to recording at work is not a prompt's business (docs/consent.md).
  const target =
    consent.requirement === "consent" ? (consent.ask ? consent.ask[0] : consent.decidedBy.party) : undefined;
  if (consent.requirement === "consent" && target === undefined)
    return { kind: "open", reason: "consent required, but nobody outside the recording teams is on the call to ask" };
  if (!session.callConnectionId) return { kind: "waiting", reason: `${consent.requirement} due once connected` };
  const decidedBy = {
    party: consent.decidedBy.party,
    jurisdiction: consent.decidedBy.jurisdiction,
    set: consent.decidedBy.set,
  };
  if (consent.requirement === "notice")
    return {
      kind: "notify",
      asked: {
        requirement: "notice",
        decidedBy,
        announcement: consent.announcement,
        explanation: consent.explanation,
      },
    };
  return {
    kind: "ask",
    asked: {
      requirement: "consent",
      decidedBy,
      // The first person outside the recording teams (docs/consent-flow.md "Who is asked").
      target: target ?? consent.decidedBy.party,
      prompt: consent.prompt,
      accept: { dtmf: [...consent.accept.dtmf], speech: [...consent.accept.speech] },
      timeoutSeconds: consent.timeoutSeconds,
      onRefusal: consent.onRefusal,
      onSilence: consent.onSilence,
      explanation: consent.explanation,
    },
  };
}

/** Why a refusal or silence leads to no recording, in words, for the ledger and the logs. */
export function fallbackReason(gate: Extract<ConsentGate, { kind: "closed" }>): string {
  switch (gate.fallback) {
    case "record-nothing":
      return `nothing recorded: ${gate.reason}`;
    case "end-call":
      return `call ended: ${gate.reason}`;
    case "record-our-side-only":
      return (
        `nothing recorded: ${gate.reason}; record-our-side-only is not feasible on ACS — an unmixed recording ` +
        `takes every participant's audio at ACS (the channels are split in the recorded file), so keeping only our ` +
        `side would still record the party who did not consent`
      );
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
  session: Pick<CallSession, "consentAsked" | "consentAnswer">,
): ConsentRecord | undefined {
  const evidence = consentOf(session);
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
    ...(answer
      ? {
          outcome: answer.outcome,
          answeredAt: answer.at,
          ...(answer.heard !== undefined ? { heard: answer.heard } : {}),
          ...(answer.matched !== undefined ? { matched: answer.matched } : {}),
          ...(answer.subCode !== undefined ? { subCode: answer.subCode } : {}),
        }
      : {}),
    ...(fallback ? { fallback } : {}),
  };
}

/**
 * What the consent evidence makes of an ended call's ledger entry: the evidence itself, and — when consent was not
 * given (refused, silent, not asked in time, the call ended before an answer) or the notice was not played — the
 * outcome `exempt` with why: nothing may be recorded, so the missing recording is no gap.
 */
export function ledgerConsentOf(
  session: Pick<CallSession, "consentAsked" | "consentAnswer" | "callConnectionId">,
): Pick<LedgerEntry, "consent"> & Partial<Pick<LedgerEntry, "outcome" | "reason">> {
  const consent = consentRecordOf(session);
  if (!consent) return {};
  const gate = consentGate(session, undefined);
  if (gate.kind === "open") return { consent };
  const reason =
    gate.kind === "closed" ? fallbackReason(gate) : `nothing recorded: the call ended before ${consent.summary}`;
  return { consent, outcome: "exempt", reason: `consent: ${reason}` };
}

/**
 * A person the current consent decision would ask, who was not asked: a second person outside the recording teams
 * (only the first is asked), someone who joined after the question, or anyone once consent is required after a
 * notice was played. Consent is asked once per call
 * (docs/consent-flow.md "Limits"), so this is not acted on — it is alerted. Undefined when nothing was asked yet, or
 * the one asked still decides. Pure.
 */
export function unaskedParty(
  session: Pick<CallSession, "consentAsked" | "consentAnswer">,
  consent: CallConsent | undefined,
): string | undefined {
  const { asked } = consentOf(session);
  if (!asked || consent?.requirement !== "consent") return undefined;
  const wanted = consent.ask ?? [consent.decidedBy.party];
  const askedOf = asked.requirement === "consent" ? asked.target : undefined;
  return wanted.find((party) => party !== askedOf);
}
