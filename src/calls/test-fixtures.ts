/**
 * Consent facts for the calls tables (tests only): an all-party consent decision and a party's question, with the
 * fields every table shares; each table names what it is about (who decided, who is asked, when, the fallbacks).
 */
import type { CallConsent } from "../policy/index.js";
import type { ConsentAsked } from "../sessions/index.js";

export type ConsentAsk = Extract<ConsentAsked, { requirement: "consent" }>;

const QUESTION = {
  prompt: { text: "Press 1 to agree.", locale: "en-US" },
  accept: { dtmf: ["1"], speech: [] },
  timeoutSeconds: 8,
  onRefusal: "record-nothing",
  onSilence: "end-call",
  explanation: "California: all-party consent",
} as const satisfies Partial<ConsentAsk>;

type ConsentDecision = Extract<CallConsent, { requirement: "consent" }>;

/** The decision of an all-party-consent call: consent required of `ask`, decided by `decidedBy`'s number. */
export const consentDecisionOf = (fields: {
  ask: string[];
  decidedBy: Omit<ConsentDecision["decidedBy"], "source">;
  onRefusal?: ConsentDecision["onRefusal"];
  onSilence?: ConsentDecision["onSilence"];
}): CallConsent => ({
  ruleId: "r",
  teamId: "t",
  parties: [],
  unhandled: [],
  requirement: "consent",
  ...QUESTION,
  accept: { dtmf: ["1"], speech: [] },
  ...fields,
  decidedBy: { ...fields.decidedBy, source: "phone-number" },
});

/** The question put to one party, as the session keeps it. */
export const consentAskOf = (
  fields: Pick<ConsentAsk, "target" | "at" | "decidedBy"> & Partial<ConsentAsk>,
): ConsentAsk => ({
  requirement: "consent",
  ...QUESTION,
  accept: { dtmf: ["1"], speech: [] },
  ...fields,
});
