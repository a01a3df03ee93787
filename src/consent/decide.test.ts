import { describe, expect, it } from "vitest";
import { compareDecisions, consentDecision, entryFor, messageFor } from "./decide.js";
import { judgeAnswer } from "./answer.js";
import type {
  ConsentContext,
  ConsentFallback,
  ConsentPolicy,
  ConsentRequirement,
  JurisdictionSet,
  SpokenMessage,
} from "./types.js";

const set = (name: string, jurisdictions: string[]): [string, JurisdictionSet] => [
  name,
  { name, sources: ["test"], jurisdictions },
];
const sets = new Map([
  set("all-party-consent", ["US-CA", "US-FL", "US-IL", "US-MA", "US-PA", "US-WA"]),
  set("us", ["US"]),
  set("us-state-unknown", ["US-unknown"]),
  set("eu", ["FR", "DE", "IE"]),
  set("uk", ["GB"]),
]);
const areaCodes = new Map([
  ["415", "US-CA"],
  ["305", "US-FL"],
  ["212", "US-NY"],
  ["206", "US-WA"],
]);
const ctx: ConsentContext = {
  sets,
  areaCodes,
  directoryLocation: (rawId) => ({ "8:acs:paris": "FR", "8:acs:sf": "US-CA" })[rawId],
  teamDefaultLocation: (rawId) => (rawId === "8:acs:agent" ? { teamId: "support", location: "GB" } : undefined),
};

const en = (text: string): SpokenMessage => ({ text, locale: "en-US", localized: {} });
const consent = (onRefusal: ConsentFallback, onSilence: ConsentFallback = onRefusal, timeoutSeconds = 10) =>
  ({
    require: "consent",
    prompt: en(`press 1 (${onRefusal}/${onSilence}/${timeoutSeconds})`),
    accept: { dtmf: ["1"], speech: ["yes"] },
    timeoutSeconds,
    onRefusal,
    onSilence,
  }) satisfies ConsentRequirement;
const notice = (text: string): ConsentRequirement => ({ require: "notice", announcement: en(text) });
const none: ConsentRequirement = { require: "none" };
const policy = (entries: Record<string, ConsentRequirement>): ConsentPolicy => ({
  entries: Object.entries(entries).map(([name, requirement]) => ({ set: name, requirement })),
});

const CA = "4:+14155550100";
const FL = "4:+13055550100";
const NY = "4:+12125550100";
const WA = "4:+12065550100";
const TOLL_FREE = "4:+18005550100";
const LONDON = "4:+442071234567";
const BERLIN = "4:+4930123456";
const AGENT = "8:acs:agent"; // a member, GB by the team default
const STRANGER = "8:acs:stranger"; // unknown

const standard = policy({
  "all-party-consent": consent("end-call", "record-nothing"),
  "us-state-unknown": consent("record-nothing"),
  eu: notice("eu notice"),
  uk: notice("uk notice"),
  unknown: consent("record-nothing", "record-nothing", 15),
  "*": none,
});

describe("consentDecision: the strictest party decides", () => {
  it.each([
    // [parties, requirement, deciding party, its jurisdiction, its set]
    [[AGENT, NY], "notice", AGENT, "GB", "uk"], // NY is one-party (*: none); our agent is in the UK
    [[AGENT, CA], "consent", CA, "US-CA", "all-party-consent"],
    [[CA, AGENT], "consent", CA, "US-CA", "all-party-consent"],
    [[AGENT, BERLIN], "notice", AGENT, "GB", "uk"], // two notices: the first party wins the tie
    [[BERLIN, AGENT], "notice", BERLIN, "DE", "eu"],
    [[NY, BERLIN], "notice", BERLIN, "DE", "eu"],
    [[NY], "none", NY, "US-NY", "*"],
    [[AGENT, STRANGER], "consent", STRANGER, "unknown", "unknown"],
    [[AGENT, TOLL_FREE], "consent", TOLL_FREE, "US-unknown", "us-state-unknown"],
    // among consents the strictest refusal action: end-call (all-party) beats record-nothing (unknown)
    [[STRANGER, CA], "consent", CA, "US-CA", "all-party-consent"],
    [[TOLL_FREE, STRANGER, FL], "consent", FL, "US-FL", "all-party-consent"],
    // same refusal action: the stricter silence action (unknown and us-state-unknown both record-nothing); then
    // the shorter timeout (us-state-unknown 10 s beats unknown 15 s)
    [[STRANGER, TOLL_FREE], "consent", TOLL_FREE, "US-unknown", "us-state-unknown"],
    // directory locations count like numbers
    [["8:acs:paris", NY], "notice", "8:acs:paris", "FR", "eu"],
    [["8:acs:sf", LONDON], "consent", "8:acs:sf", "US-CA", "all-party-consent"],
  ])("%j → %s decided by %s (%s, %s)", (parties, requirement, party, jurisdiction, setName) => {
    const decision = consentDecision(parties, { id: "r", consent: standard }, ctx);
    expect(decision.requirement).toBe(requirement);
    expect(decision.decidedBy).toMatchObject({ party, jurisdiction, set: setName });
    expect(decision.unhandled).toEqual([]);
    expect(decision.parties.map((p) => p.party)).toEqual(parties);
  });

  it("a consent decision carries the deciding entry whole", () => {
    const decision = consentDecision([AGENT, WA], { id: "r", consent: standard }, ctx);
    expect(decision).toMatchObject({
      requirement: "consent",
      prompt: { text: "press 1 (end-call/record-nothing/10)", locale: "en-US" },
      accept: { dtmf: ["1"], speech: ["yes"] },
      timeoutSeconds: 10,
      onRefusal: "end-call",
      onSilence: "record-nothing",
    });
    expect(decision.explanation).toContain("decided by 4:+12065550100 in US-WA (all-party-consent)");
  });

  it("a notice decision carries the announcement", () => {
    const decision = consentDecision([BERLIN], { id: "r", consent: standard }, ctx);
    expect(decision).toMatchObject({ requirement: "notice", announcement: { text: "eu notice", locale: "en-US" } });
  });

  it("a rule without a consent block asks nothing and names no decider", () => {
    const decision = consentDecision([CA, STRANGER], { id: "r" }, ctx);
    expect(decision.requirement).toBe("none");
    expect(decision.decidedBy).toBeUndefined();
    expect(decision.unhandled).toEqual([]);
    expect(decision.explanation).toContain("the rule has no consent block");
  });

  it("lists the jurisdictions the rule leaves unhandled, and asks nothing for them", () => {
    const partial = policy({ "all-party-consent": consent("end-call") });
    const decision = consentDecision([NY, STRANGER, BERLIN, CA], { id: "r", consent: partial }, ctx);
    expect(decision.requirement).toBe("consent");
    expect(decision.unhandled).toEqual(["US-NY", "unknown", "DE"]);
    expect(decision.parties.find((p) => p.party === NY)).toMatchObject({ set: null, requirement: "none" });
    const nobody = consentDecision([NY], { id: "r", consent: partial }, ctx);
    expect(nobody.requirement).toBe("none");
    expect(nobody.decidedBy).toBeUndefined();
  });

  it("* covers unknown when unknown is not named", () => {
    const decision = consentDecision([STRANGER], { id: "r", consent: policy({ "*": notice("all") }) }, ctx);
    expect(decision.decidedBy).toMatchObject({ jurisdiction: "unknown", set: "*" });
  });

  it("the decision does not depend on the order of entries", () => {
    const a = policy({ us: notice("us"), "all-party-consent": consent("end-call") });
    const b = policy({ "all-party-consent": consent("end-call"), us: notice("us") });
    for (const p of [a, b]) {
      expect(consentDecision([CA], { id: "r", consent: p }, ctx).decidedBy?.set).toBe("all-party-consent");
      expect(consentDecision([NY], { id: "r", consent: p }, ctx).decidedBy?.set).toBe("us");
    }
  });
});

describe("entryFor", () => {
  const entries = policy({
    us: notice("us"),
    "all-party-consent": consent("record-our-side-only"),
    "us-state-unknown": consent("end-call"),
    "*": none,
  }).entries;
  it.each([
    ["US-CA", "all-party-consent"], // in two sets: the stricter
    ["US-NY", "us"],
    ["US-unknown", "us-state-unknown"], // US covers it too; the stricter wins
    ["GB", "*"],
    ["unknown", "*"],
  ])("%s → %s", (jurisdiction, name) => expect(entryFor(entries, jurisdiction, sets)?.set).toBe(name));

  it("a set the data does not define covers nothing", () => {
    const only = policy({ "no-such-set": consent("end-call") }).entries;
    expect(entryFor(only, "US-CA", sets)).toBeUndefined();
  });
});

describe("compareDecisions", () => {
  const decide = (requirement: ConsentRequirement) =>
    consentDecision([CA], { id: "r", consent: policy({ "all-party-consent": requirement }) }, ctx);
  it.each([
    [consent("end-call"), consent("record-nothing")],
    [consent("record-nothing"), consent("record-our-side-only")],
    [consent("record-nothing", "end-call"), consent("record-nothing", "record-nothing")],
    [consent("record-nothing", "record-nothing", 5), consent("record-nothing", "record-nothing", 20)],
    [consent("record-our-side-only"), notice("n")],
    [notice("n"), none],
  ])("%#: the first is stricter", (a, b) => {
    expect(compareDecisions(decide(a), decide(b))).toBeGreaterThan(0);
    expect(compareDecisions(decide(b), decide(a))).toBeLessThan(0);
  });
});

describe("messageFor: the deciding party's language", () => {
  const message: SpokenMessage = {
    text: "This call is recorded.",
    locale: "en-GB",
    localized: { "fr-CA": "Cet appel est enregistré.", "de-DE": "Dieser Anruf wird aufgezeichnet.", es: "Se graba." },
  };
  it.each([
    ["GB", "en-GB"],
    ["CA-QC", "fr-CA"],
    ["DE", "de-DE"],
    ["ES", "en-GB"], // a translation without a region is never chosen by jurisdiction
    ["unknown", "en-GB"],
    ["US-unknown", "en-GB"],
  ])("%s hears %s", (jurisdiction, locale) => {
    const played = messageFor(message, jurisdiction);
    expect("locale" in played && played.locale).toBe(locale);
  });
  it("an audio file is played as it is", () => {
    expect(messageFor({ audioUrl: "https://x/a.wav" }, "FR")).toEqual({ audioUrl: "https://x/a.wav" });
  });
});

describe("judgeAnswer", () => {
  const accept = { dtmf: ["1"], speech: ["yes", "I agree"] };
  it.each([
    [{ kind: "dtmf", tones: ["one"] }, "given", "1"],
    [{ kind: "dtmf", tones: ["1"] }, "given", "1"],
    [{ kind: "dtmf", tones: ["two"] }, "refused", undefined],
    [{ kind: "dtmf", tones: ["two", "one"] }, "refused", undefined], // the first key counts
    [{ kind: "dtmf", tones: [] }, "refused", undefined],
    [{ kind: "speech", text: "Yes." }, "given", "yes"],
    [{ kind: "speech", text: "yes, that's fine" }, "given", "yes"],
    [{ kind: "speech", text: "I AGREE!" }, "given", "I agree"],
    [{ kind: "speech", text: "yesterday" }, "refused", undefined],
    [{ kind: "speech", text: "No." }, "refused", undefined],
    [{ kind: "speech", text: "" }, "refused", undefined],
  ] as const)("%j → %s", (answer, outcome, matched) => {
    const verdict = judgeAnswer(answer, accept);
    expect(verdict.outcome).toBe(outcome);
    expect(verdict.matched).toBe(matched);
  });
  it("says what was heard", () => {
    expect(judgeAnswer({ kind: "dtmf", tones: ["one", "pound"] }, accept).heard).toBe("dtmf 1#");
    expect(judgeAnswer({ kind: "speech", text: "Yes please" }, accept).heard).toBe('speech "Yes please"');
  });
  it("a DTMF-only acceptance refuses any speech", () => {
    expect(judgeAnswer({ kind: "speech", text: "yes" }, { dtmf: ["1"], speech: [] }).outcome).toBe("refused");
  });
});
