// The consent evidence of a call as its session keeps it (docs/consent-flow.md): what was asked or announced, of whom,
// when, and what came of it. Both are `keep-first` facts (facts.ts): the first ask and the first answer stay, whatever
// is delivered again or later, so the evidence cannot be rewritten by a redelivered or late callback.

/** What happens when a party refuses, or says nothing before the timeout (the policy's `onRefusal` / `onSilence`). */
export type ConsentFallback = "record-nothing" | "end-call" | "record-our-side-only";

/** What was played: text read out in a locale, or an audio file. */
export type SpokenMessage = { text: string; locale: string } | { audioUrl: string };

/** The party whose jurisdiction decided what the call needs (the strictest one). */
export interface ConsentDecider {
  party: string;
  jurisdiction: string;
  /** The rule's consent entry that applied (a jurisdiction set, `unknown` or `*`). */
  set: string;
}

/** Put on record before ACS is asked to play the notice or the prompt. */
export type ConsentAsked =
  | {
      requirement: "notice";
      at: string;
      decidedBy: ConsentDecider;
      announcement: SpokenMessage;
      explanation: string;
    }
  | {
      requirement: "consent";
      at: string;
      decidedBy: ConsentDecider;
      /** The participant asked (raw id): the recognize targets their leg. */
      target: string;
      /**
       * All-party consent: everyone to ask, in order (the first is asked first; each next one once the one before
       * has consented), fixed by the first ask. Absent in asks made before it existed: the target only.
       */
      parties?: string[];
      /**
       * Consent required after a notice was played (someone from an all-party-consent jurisdiction joined): the
       * notice's time. Every question is then a further party's (the call's first ask is the notice).
       */
      afterNotice?: string;
      prompt: SpokenMessage;
      accept: { dtmf: string[]; speech: string[] };
      timeoutSeconds: number;
      onRefusal: ConsentFallback;
      onSilence: ConsentFallback;
      explanation: string;
    };

/**
 * What came of it. `given` / `refused`: an answer was recognized (`heard`: `dtmf 1`, `speech "yes"`; `matched`: the
 * accepted key or phrase). `silent`: nothing before the timeout (RecognizeFailed 8510 or 8532). `failed`: the
 * recognize failed otherwise, was canceled, or could not be asked (treated as silence). `notified`: the notice was
 * played (PlayCompleted); `notice-failed`: it could not be (PlayFailed).
 */
export interface ConsentAnswer {
  outcome: "given" | "refused" | "silent" | "failed" | "notified" | "notice-failed";
  /** When ACS reported it (the callback's time). */
  at: string;
  /** When the webhook received it (our clock): where time-to-record starts for a call that waited for it. */
  seenAt?: string;
  heard?: string;
  matched?: string;
  /** ACS's recognitionType, for a recognized answer. */
  via?: "dtmf" | "speech" | "choices";
  /** ACS's resultInformation. */
  code?: number;
  subCode?: number;
  message?: string;
}

/** The consent evidence of a session, parsed from its two facts; undefined parts were not (yet) told. */
export interface ConsentEvidence {
  asked?: ConsentAsked;
  answer?: ConsentAnswer;
}

/** A fact's JSON as evidence, or undefined when absent or not JSON (a damaged field tells nothing). */
export function parseConsentFact<T>(raw: string | undefined): T | undefined {
  if (!raw) return undefined;
  try {
    return JSON.parse(raw) as T;
  } catch {
    return undefined;
  }
}

/** The evidence in one line, for logs, the ledger's reason and the QA timeline. */
export function describeConsent(evidence: ConsentEvidence): string {
  const { asked, answer } = evidence;
  if (!asked) return "no consent or notice asked";
  const who = `${asked.decidedBy.party} (${asked.decidedBy.jurisdiction}, ${asked.decidedBy.set})`;
  if (asked.requirement === "notice") {
    if (!answer) return `notice for ${who} requested at ${asked.at}`;
    return answer.outcome === "notified"
      ? `notice for ${who} played at ${answer.at}`
      : `notice for ${who} could not be played (${answer.message ?? answer.outcome})`;
  }
  if (!answer) return `consent asked of ${asked.target} for ${who} at ${asked.at}, no answer yet`;
  const heard = answer.heard ? ` (${answer.heard})` : "";
  const code = answer.subCode !== undefined ? ` [${answer.code ?? "?"}/${answer.subCode}]` : "";
  switch (answer.outcome) {
    case "given":
      return `consent given by ${asked.target}${heard} at ${answer.at}`;
    case "refused":
      return `consent refused by ${asked.target}${heard} at ${answer.at}; policy: ${asked.onRefusal}`;
    case "silent":
      return `no answer from ${asked.target} to the consent prompt by ${answer.at}${code}; policy: ${asked.onSilence}`;
    default:
      return (
        `consent could not be asked of ${asked.target}${code} ${answer.message ?? ""}`.trim() +
        `; policy: ${asked.onSilence}`
      );
  }
}
