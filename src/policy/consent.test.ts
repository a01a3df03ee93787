import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadJurisdictionData, type JurisdictionData } from "../consent/index.js";
import { createLogger } from "../log.js";
import { decideConsent, directoryLocationsFor } from "./consent.js";
import { decide } from "./evaluate.js";
import { explainCall } from "./explain.js";
import { lintPolicies } from "./lint.js";
import { loadPolicySet, parsePolicyFile, parsePolicySet, PolicyError } from "./load.js";
import { createPolicySource, type PolicySource } from "./source.js";

// The consent: block in the policy language: what a file may say, what load refuses, what lint warns about,
// what explain prints, and the consent decision of a recorded call across teams.

let data: JurisdictionData;
beforeEach(async () => {
  data ??= await loadJurisdictionData("policies");
});

const ASK = `{ require: consent, prompt: { text: "Press 1 to agree.", locale: en-US }, onRefusal: record-nothing }`;
const team = (rules: string, head = "team: { id: t, name: T, defaultLocation: GB }") =>
  `version: 1\n${head}\nmembers: ["8:acs:agent", "+442071234567"]\nrules:\n${rules}`;
const rule = (consent: string, extra = "", mode = "best-effort") =>
  `  - id: r\n    mode: ${mode}\n${extra}    consent:\n${consent}`;
const problemsOf = (text: string) => {
  try {
    parsePolicyFile("t.yaml", text);
    return [];
  } catch (error) {
    if (error instanceof PolicyError) return error.problems;
    throw error;
  }
};

describe("the consent block: what a policy file may say", () => {
  it("reads sets, unknown and * with their defaults", () => {
    const policy = parsePolicyFile(
      "t.yaml",
      team(
        rule(`      all-party-consent: ${ASK}
      unknown:
        require: consent
        prompt: { text: "Say yes to agree.", locale: en-GB, localized: { fr-FR: "Dites oui." } }
        accept: { speech: [yes, "I agree"] }
        timeoutSeconds: 20
        onRefusal: record-nothing
        onSilence: record-nothing
      eu: { require: notice, announcement: { audioUrl: "https://example.com/notice.wav" } }
      "*": { require: none }
`),
      ),
    );
    expect(policy.team.defaultLocation).toBe("GB");
    const recording = policy.rules[0];
    expect(recording?.mode !== "never" && recording?.consent?.entries).toEqual([
      {
        set: "all-party-consent",
        requirement: {
          require: "consent",
          prompt: { text: "Press 1 to agree.", locale: "en-US", localized: {} },
          accept: { dtmf: ["1"], speech: [] }, // the default answer: press 1
          timeoutSeconds: 10,
          onRefusal: "record-nothing",
          onSilence: "record-nothing", // silence is a refusal unless told otherwise
        },
      },
      {
        set: "unknown",
        requirement: {
          require: "consent",
          prompt: { text: "Say yes to agree.", locale: "en-GB", localized: { "fr-FR": "Dites oui." } },
          accept: { dtmf: [], speech: ["yes", "I agree"] },
          timeoutSeconds: 20,
          onRefusal: "record-nothing",
          onSilence: "record-nothing",
        },
      },
      { set: "eu", requirement: { require: "notice", announcement: { audioUrl: "https://example.com/notice.wav" } } },
      { set: "*", requirement: { require: "none" } },
    ]);
  });

  it.each([
    [
      "record-our-side-only on a mixed recording",
      rule(
        `      all-party-consent: { require: consent, prompt: { text: x, locale: en-US }, onRefusal: record-our-side-only }\n`,
      ),
      "rules.0.consent.all-party-consent.onRefusal: record-our-side-only keeps our members' channels only, which needs recording.channel: unmixed",
    ],
    [
      "end-call in a best-effort rule",
      rule(`      all-party-consent: { require: consent, prompt: { text: x, locale: en-US }, onRefusal: end-call }\n`),
      "rules.0.consent.all-party-consent.onRefusal: a best-effort rule cannot end a call",
    ],
    [
      "an announcement beside a consent block",
      rule(`      "*": { require: none }\n`, "    announcement: { text: Recorded., locale: en-GB }\n"),
      "rules.0.announcement: a rule with consent says what each jurisdiction hears",
    ],
    [
      "a speech answer with a timeout recognize cannot wait",
      rule(
        `      us: { require: consent, prompt: { text: x, locale: en-US }, accept: { speech: yes }, timeoutSeconds: 30, onRefusal: record-nothing }\n`,
      ),
      "rules.0.consent.us.timeoutSeconds: speech recognition waits at most 20 s",
    ],
    [
      "a DTMF timeout beyond 300 s",
      rule(
        `      us: { require: consent, prompt: { text: x, locale: en-US }, timeoutSeconds: 301, onRefusal: record-nothing }\n`,
      ),
      "rules.0.consent.us.timeoutSeconds",
    ],
    [
      "a key that is not one keypad key",
      rule(
        `      us: { require: consent, prompt: { text: x, locale: en-US }, accept: { dtmf: "12" }, onRefusal: record-nothing }\n`,
      ),
      "one keypad key",
    ],
    [
      "text without its locale",
      rule(`      us: { require: notice, announcement: { text: Recorded. } }\n`),
      "rules.0.consent.us.announcement.locale: text needs the locale it is read in",
    ],
    ["a misspelt requirement", rule(`      us: { require: notise }\n`), "rules.0.consent.us.require"],
    [
      "an empty block",
      rule(`      {}\n`).replace("consent:\n      {}", "consent: {}"),
      "a consent block names at least one set",
    ],
    [
      "a consent block on a never rule",
      `  - id: r\n    mode: never\n    consent: { "*": { require: none } }\n`,
      "rules.0.consent: a never rule records nothing: remove consent",
    ],
    [
      "a team default location that is not ISO 3166",
      rule(`      "*": { require: none }\n`),
      "team.defaultLocation: an ISO 3166 code in capitals",
    ],
  ])("refuses %s", (name, rules, message) => {
    const head = name.startsWith("a team default")
      ? "team: { id: t, name: T, defaultLocation: London }"
      : "team: { id: t, name: T, defaultLocation: GB }";
    const problems = problemsOf(team(rules, head));
    expect(problems.join("\n")).toContain(message);
  });

  it("accepts record-our-side-only on an unmixed recording, and end-call in a required rule", () => {
    const text = team(
      rule(
        `      all-party-consent: { require: consent, prompt: { text: x, locale: en-US }, onRefusal: end-call, onSilence: record-our-side-only }\n`,
        "    recording: { channel: unmixed }\n",
        "required",
      ),
    );
    expect(problemsOf(text)).toEqual([]);
  });
});

describe("load: consent blocks against the jurisdiction data", () => {
  const files = (consent: string) => [{ name: "t.yaml", text: team(rule(consent)) }];

  it("refuses a set the data does not define, naming the sets it has", () => {
    const { problems } = parsePolicySet("policies", files(`      all-party-consnet: ${ASK}\n`), data);
    expect(problems).toEqual([
      expect.stringMatching(
        /^t\.yaml:\d+:\d+: rule r: consent names the set all-party-consnet, which jurisdictions\.sets\.yaml does not define \(sets: all-party-consent, us, /,
      ),
    ]);
  });

  it("refuses any consent block when the directory has no jurisdiction data", () => {
    const { problems } = parsePolicySet("dir", files(`      "*": { require: none }\n`), null);
    expect(problems).toEqual([expect.stringContaining("rule r has a consent block, but dir/jurisdictions.sets.yaml")]);
  });

  it("does not check when not asked to (undefined), and passes defined sets", () => {
    expect(parsePolicySet("dir", files(`      nope: ${ASK}\n`)).problems).toEqual([]);
    expect(parsePolicySet("dir", files(`      eu: ${ASK}\n      unknown: ${ASK}\n`), data).problems).toEqual([]);
  });
});

describe("decideConsent: the consent decision of a recorded call", () => {
  const CAROL = "8:acs:5e1f7a2c-0d3b-4c8e-9a61-2f4b8c7d9e10_00000010-carol";
  const env = () => ({ sets: data.sets, areaCodes: data.areaCodes, hash: data.hash });

  it("the shipped customer-support policy: a Californian caller is asked, a French caller hears French", async () => {
    const { policies } = await loadPolicySet("policies");
    const night = "2026-11-23T23:00:00Z";
    const fromCalifornia = { participants: [], caller: "4:+14155550100", callee: CAROL, at: night };
    const decision = decide(policies, fromCalifornia);
    const consent = decideConsent(policies, decision, fromCalifornia, env());
    expect(consent).toMatchObject({
      teamId: "customer-support",
      ruleId: "night-shift-every-call",
      requirement: "consent",
      decidedBy: { party: "4:+14155550100", jurisdiction: "US-CA", set: "all-party-consent", source: "phone-number" },
      onRefusal: "record-nothing",
      accept: { dtmf: ["1"], speech: ["yes", "I agree", "oui"] },
      jurisdictionsHash: data.hash,
    });
    expect(consent?.parties.find((p) => p.party === CAROL)).toMatchObject({
      jurisdiction: "GB",
      source: "team-default",
      set: "*",
    });

    const fromParis = { ...fromCalifornia, caller: "4:+33142685300" };
    expect(decideConsent(policies, decide(policies, fromParis), fromParis, env())).toMatchObject({
      requirement: "notice",
      decidedBy: { jurisdiction: "FR", set: "eu" },
      announcement: { locale: "fr-FR" },
    });

    // The directory overrides the number: the same Californian number, its owner in Paris.
    const located = { ...env(), directoryLocation: (id: string) => (id === "4:+14155550100" ? "FR" : undefined) };
    expect(decideConsent(policies, decision, fromCalifornia, located)).toMatchObject({
      requirement: "notice",
      decidedBy: { jurisdiction: "FR", source: "directory" },
    });
  });

  it("between equally strict parties, the one outside the recording teams decides (and hears its language)", async () => {
    const { policies } = await loadPolicySet("policies");
    // An ACS customer whose raw id sorts after Carol's, placed in Germany by the directory: both get a notice.
    const customer = "8:acs:ffffffff-0000-4000-8000-000000000000_customer";
    const call = { participants: [], caller: customer, callee: CAROL, at: "2026-11-23T23:00:00Z" };
    const located = { ...env(), directoryLocation: (id: string) => (id === customer ? "DE" : undefined) };
    const consent = decideConsent(policies, decide(policies, call), call, located);
    expect(consent).toMatchObject({
      requirement: "notice",
      decidedBy: { party: customer, jurisdiction: "DE", set: "eu" },
      announcement: { locale: "de-DE" },
    });
    expect(consent?.parties.map((p) => p.party)).toEqual([customer, CAROL]);
    expect(consent?.ask).toEqual([customer]);
  });

  it("asks the people outside the recording teams, even when a member's state is the one that needs consent", () => {
    const team = parsePolicyFile(
      "t.yaml",
      `version: 1\nteam: { id: t, name: T }\nmembers: ["+14155550100"]\nrules:\n  - id: r\n    mode: best-effort\n    consent:\n      all-party-consent: ${ASK}\n      "*": { require: none }\n`,
    );
    const call = { participants: ["4:+12145550100", "4:+14155550100", "28:orgid:bot"] };
    const consent = decideConsent([team], decide([team], call), call, env());
    expect(consent).toMatchObject({
      requirement: "consent",
      decidedBy: { party: "4:+14155550100", jurisdiction: "US-CA" },
      ask: ["4:+12145550100"], // the Texan customer is asked because our Californian agent is on the call
    });
  });

  it("directoryLocationsFor: the recording teams' directories, the deciding team's first; others are not asked", async () => {
    const { policies } = await loadPolicySet("policies");
    const call = {
      participants: ["28:orgid:bot"],
      caller: "4:+14155550100",
      callee: CAROL,
      at: "2026-11-23T23:00:00Z",
    };
    const asked: string[] = [];
    const directories: Record<string, Record<string, string>> = {
      "customer-support": { [CAROL]: "GB-SCT", "4:+14155550100": "FR" },
      "trading-desk": { [CAROL]: "US-CA" }, // not a recording team of this call: never read
    };
    const located = await directoryLocationsFor(policies, decide(policies, call), call, async (teamId, rawId) => {
      asked.push(`${teamId} ${rawId}`);
      const location = directories[teamId]?.[rawId];
      return location ? { location } : undefined;
    });
    expect(asked).toEqual([`customer-support 4:+14155550100`, `customer-support ${CAROL}`]);
    expect(located(CAROL)).toBe("GB-SCT");
    const consent = decideConsent(policies, decide(policies, call), call, { ...env(), directoryLocation: located });
    expect(consent).toMatchObject({ requirement: "notice", decidedBy: { jurisdiction: "FR", source: "directory" } });
  });

  it("a Teams app or bot on the call is not a party anyone asks", async () => {
    const { policies } = await loadPolicySet("policies");
    const call = {
      participants: ["28:orgid:transcriber"],
      caller: "4:+442071234999",
      callee: CAROL,
      at: "2026-11-23T23:00:00Z",
    };
    const consent = decideConsent(policies, decide(policies, call), call, env());
    expect(consent?.parties.map((p) => p.party)).toEqual(["4:+442071234999", CAROL]);
    expect(consent?.requirement).toBe("notice");
  });

  it("is undefined for a call that is not recorded", async () => {
    const { policies } = await loadPolicySet("policies");
    const colleagues = {
      participants: [],
      caller: CAROL,
      callee: "8:acs:5e1f7a2c-0d3b-4c8e-9a61-2f4b8c7d9e10_00000011-dave",
    };
    expect(decideConsent(policies, decide(policies, colleagues), colleagues, env())).toBeUndefined();
  });

  it("several recording teams: the strictest rule's decision wins, and a rule without consent asks nothing", () => {
    const notice = parsePolicyFile(
      "a.yaml",
      team(rule(`      "*": { require: notice, announcement: { text: a, locale: en-GB } }\n`)).replace(
        "id: t,",
        "id: a,",
      ),
    );
    const asking = parsePolicyFile(
      "b.yaml",
      team(rule(`      all-party-consent: ${ASK}\n      "*": { require: none }\n`))
        .replace("id: t,", "id: b,")
        .replace('"8:acs:agent"', '"8:acs:other"'),
    );
    const silent = parsePolicyFile(
      "c.yaml",
      `version: 1\nteam: { id: c, name: C }\nmembers: ["8:acs:third"]\nrules: [{ id: all, mode: best-effort }]\n`,
    );
    const policies = [notice, asking, silent];
    const call = { participants: ["8:acs:agent", "8:acs:other", "8:acs:third", "4:+13055550100"] };
    const decision = decide(policies, call);
    expect(decision.record && decision.contributions?.filter((c) => c.outcome === "record")).toHaveLength(3);
    expect(decideConsent(policies, decision, call, env())).toMatchObject({
      teamId: "b",
      requirement: "consent",
      decidedBy: { party: "4:+13055550100", jurisdiction: "US-FL" },
    });
    const inLondon = { participants: ["8:acs:agent", "8:acs:other", "8:acs:third", "4:+442071234999"] };
    expect(decideConsent(policies, decide(policies, inLondon), inLondon, env())).toMatchObject({
      teamId: "a",
      requirement: "notice",
    });
    const onlySilent = { participants: ["8:acs:third", "4:+13055550100"] };
    expect(decideConsent(policies, decide(policies, onlySilent), onlySilent, env())).toMatchObject({
      teamId: "c",
      requirement: "none",
    });
  });
});

describe("lint: what a consent block leaves unhandled", () => {
  const lint = (text: string) =>
    lintPolicies([parsePolicyFile("t.yaml", text)], "2026-11-22", data).map((w) => w.message);

  it("names jurisdictions a block without * leaves unhandled, unknown first", () => {
    const [warning, ...rest] = lint(team(rule(`      all-party-consent: ${ASK}\n      eu: ${ASK}\n`)));
    expect(rest).toEqual([]);
    expect(warning).toMatch(/^rule r: its consent block has no "\*": parties elsewhere are neither told nor asked/);
    expect(warning).toContain("unhandled: unknown, CA, GB, IS, LI, NO, US, US-AK, US-AL, ");
    expect(warning).not.toContain("CA-AB");
    expect(warning).not.toContain("US-CA,");
    expect(warning).toMatch(/and \d+ more, and every country in none of all-party-consent, eu$/);
  });

  it("warns when unknown falls to a * weaker than what the block asks elsewhere", () => {
    expect(lint(team(rule(`      all-party-consent: ${ASK}\n      "*": { require: none }\n`)))).toEqual([
      expect.stringContaining("rule r: a party nobody could place (unknown"),
    ]);
    expect(
      lint(team(rule(`      all-party-consent: ${ASK}\n      unknown: ${ASK}\n      "*": { require: none }\n`))),
    ).toEqual([]);
    expect(lint(team(rule(`      "*": ${ASK}\n`)))).toEqual([]);
  });

  it("warns when a required rule records nothing, or our side only, after a refusal or silence", () => {
    const warnings = lint(
      team(
        rule(
          `      all-party-consent: { require: consent, prompt: { text: x, locale: en-US }, onRefusal: end-call, onSilence: record-our-side-only }\n      unknown: ${ASK}\n      "*": { require: none }\n`,
          "    recording: { channel: unmixed }\n",
          "required",
        ),
      ),
    );
    expect(warnings).toEqual([
      expect.stringMatching(
        /^rule r: onSilence record-our-side-only in all-party-consent: ACS still captures the audio of whoever did not consent — an unmixed recording takes every participant's audio/,
      ),
      "rule r is required, but after silence in all-party-consent the call goes on with only our side recorded (record-our-side-only): where recording is an obligation (MiFID II), use end-call; if recording is wanted only where lawful, make the rule best-effort",
      expect.stringContaining(
        "rule r is required, but after a refusal in unknown the call goes on unrecorded (record-nothing)",
      ),
      expect.stringContaining("rule r is required, but after silence in unknown the call goes on unrecorded"),
    ]);
  });

  it("warns that record-our-side-only still has ACS capture the refuser's audio until ingest deletes it, in a best-effort rule too", () => {
    const warnings = lint(
      team(
        rule(
          `      "*": { require: consent, prompt: { text: x, locale: en-US }, onRefusal: record-our-side-only, onSilence: record-nothing }\n`,
          "    recording: { channel: unmixed }\n",
        ),
      ),
    );
    expect(warnings).toEqual([
      expect.stringMatching(
        /^rule r: onRefusal record-our-side-only in \*: ACS still captures .* held at ACS \(in ACS's storage, even for storage: customer\) until ingest .* deleted ACS's copy .* never archived/,
      ),
    ]);
  });

  it("warns about a recording rule without consent beside one with it", () => {
    const text = team(
      `  - { id: night, match: { direction: inbound }, mode: best-effort }\n${rule(`      "*": ${ASK}\n`)}`,
    );
    expect(lint(text)).toEqual([
      "rule night has no consent block while rule r has one: calls it matches are recorded from the start, wherever the parties are",
    ]);
  });

  it("warns about a US or Canadian subdivision no area code places", async () => {
    const { policies } = await loadPolicySet("policies");
    const sets = new Map(data.sets);
    sets.set("typo", { name: "typo", sources: ["x"], jurisdictions: ["US-CAL", "US-CA", "US-unknown", "CA-YT"] });
    expect(lintPolicies(policies, "2026-11-22", { ...data, sets }).map((w) => `${w.where}: ${w.message}`)).toEqual([
      "jurisdictions.sets.yaml: set typo lists US-CAL, which no area code of jurisdictions.nanp-area-codes.yaml places: only a directory location or team default can put a party there",
      expect.stringContaining("set typo lists CA-YT, which no area code"),
    ]);
  });

  it("the shipped policies lint clean", async () => {
    const { policies, jurisdictions } = await loadPolicySet("policies");
    expect(lintPolicies(policies, "2026-11-22", jurisdictions)).toEqual([]);
  });
});

describe("explain: which party and jurisdiction decided", () => {
  it("prints the consent section of a recorded call", async () => {
    const { policies } = await loadPolicySet("policies");
    const facts = {
      participants: [],
      caller: "4:+13125550100",
      callee: "8:acs:5e1f7a2c-0d3b-4c8e-9a61-2f4b8c7d9e10_00000010-carol",
      at: "2026-11-23T23:30:00Z",
    };
    const { text, consent } = explainCall(policies, facts, { sets: data.sets, areaCodes: data.areaCodes });
    expect(consent?.requirement).toBe("consent");
    const section = text.slice(text.indexOf("Consent and notice"));
    expect(section).toContain(
      "Decided by 4:+13125550100 in US-IL (set all-party-consent, placed by phone-number): the strictest party decides.",
    );
    expect(section).toContain('consent is pressing 1 or saying "yes" or saying "I agree" or saying "oui"; wait 10 s.');
    expect(section).toContain('  Ask 4:+13125550100: "This call may be recorded');
    expect(section).toContain("On refusal: record nothing");
    expect(section).toContain("- 4:+13125550100: US-IL (phone-number: +13125550100: area code 312 is US-IL");
    expect(section).toContain("→ all-party-consent → consent");
    expect(section).toContain("default location GB of team customer-support) → * → notice");
  });

  it("says what record-our-side-only does: unmixed in ACS's storage, our channels archived, ACS's copy deleted", () => {
    const policy = parsePolicyFile(
      "t.yaml",
      team(
        rule(
          `      "*": { require: consent, prompt: { text: x, locale: en-US }, onRefusal: record-our-side-only, onSilence: record-nothing }\n`,
          "    recording: { channel: unmixed }\n",
        ),
      ),
    );
    const facts = { participants: [], caller: "8:acs:agent", callee: "4:+13125550100", at: "2026-11-23T23:30:00Z" };
    const { text } = explainCall([policy], facts, { sets: data.sets, areaCodes: data.areaCodes });
    expect(text).toContain(
      "On refusal: record our side only (unmixed, in ACS's storage; only our members' channels archived, ACS's copy deleted after ingest). On silence: record nothing (the call goes on unrecorded).",
    );
  });

  it("says nothing of consent without the jurisdiction data, or for a call not recorded", async () => {
    const { policies } = await loadPolicySet("policies");
    const facts = {
      participants: [],
      caller: "4:+13125550100",
      callee: "8:acs:5e1f7a2c-0d3b-4c8e-9a61-2f4b8c7d9e10_00000010-carol",
      at: "2026-11-23T23:30:00Z",
    };
    expect(explainCall(policies, facts).text).not.toContain("Consent and notice");
    const exempt = {
      participants: [],
      caller: "8:acs:5e1f7a2c-0d3b-4c8e-9a61-2f4b8c7d9e10_00000001-alice",
      callee: "4:+448000309999",
    };
    const result = explainCall(policies, exempt, { sets: data.sets, areaCodes: data.areaCodes });
    expect(result.consent).toBeUndefined();
    expect(result.text).not.toContain("Consent and notice");
  });
});

describe("policy source: the jurisdiction data reloads with the policies", () => {
  let dir: string;
  let source: PolicySource | undefined;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "consent-source-"));
    await cp("policies", dir, { recursive: true });
  });
  afterEach(async () => {
    source?.close();
    source = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  it("a corrected set is swapped in; a set a rule names being removed is refused", async () => {
    source = await createPolicySource(dir, createLogger("silent", "test"), {
      recheckMs: 60_000,
      debounceMs: 60_000, // the watcher must not reload before the test does: each reload below is the test's own
    });
    const first = source.snapshot();
    expect(first.jurisdictions?.sets.get("all-party-consent")?.jurisdictions).toContain("US-CA");
    const setsFile = join(dir, "jurisdictions.sets.yaml");
    const sets = await readFile(setsFile, "utf8");
    await writeFile(setsFile, sets.replace("[US-CA, ", "[US-TX, US-CA, "));
    expect(await source.reload()).toMatchObject({ result: "success", hash: first.hash });
    expect(source.snapshot().jurisdictions?.sets.get("all-party-consent")?.jurisdictions).toContain("US-TX");
    expect(source.snapshot().jurisdictions?.hash).not.toBe(first.jurisdictions?.hash);

    await writeFile(setsFile, sets.replace("  us-state-unknown:", "  us-state-unknwn:"));
    const refused = await source.reload();
    expect(refused.result).toBe("failure");
    expect(refused.result === "failure" && refused.problems.join("\n")).toContain(
      "consent names the set us-state-unknown, which jurisdictions.sets.yaml does not define",
    );
    expect(source.snapshot().jurisdictions?.sets.get("all-party-consent")?.jurisdictions).toContain("US-TX");
    expect(source.status().reloadError?.length).toBeGreaterThan(0);
  });

  it("refuses to start when the jurisdiction data is broken", async () => {
    await writeFile(
      join(dir, "jurisdictions.nanp-area-codes.yaml"),
      'version: 1\nsource: x\nareaCodes: { "415": California }\n',
    );
    await expect(createPolicySource(dir, createLogger("silent", "test"))).rejects.toThrow(
      /jurisdictions\.nanp-area-codes\.yaml: areaCodes\.415/,
    );
  });
});

describe("policy diff: a change of what a recorded call requires", () => {
  const CAROL = "8:acs:5e1f7a2c-0d3b-4c8e-9a61-2f4b8c7d9e10_00000010-carol";
  const calls = [
    { serverCallId: "uk", participants: [], caller: "4:+442071234999", callee: CAROL, at: "2026-11-23T23:00:00Z" },
    { serverCallId: "ca", participants: [], caller: "4:+14155550100", callee: CAROL, at: "2026-11-23T23:00:00Z" },
  ];

  it("lists the calls whose consent requirement moves, only with the jurisdiction data of both sets", async () => {
    const { policies: before } = await loadPolicySet("policies");
    const text = await readFile("policies/customer-support.yaml", "utf8");
    const stricter = text.replace(
      '      "*":\n        require: notice\n        announcement: *notice',
      '      "*": *ask',
    );
    expect(stricter).not.toBe(text);
    const after = [
      ...before.filter((p) => p.team.id !== "customer-support"),
      parsePolicyFile("customer-support.yaml", stricter),
    ];
    const env = { sets: data.sets, areaCodes: data.areaCodes };
    const { replayCalls } = await import("./diff.js");
    const result = replayCalls(before, after, calls, { before: env, after: env });
    expect(result.changed.map((c) => [c.call.serverCallId, c.changes])).toEqual([
      [
        "uk",
        [
          'consent: notice for GB (*): "This call may be recorded for quality and training purposes." → consent for GB (*): on refusal record-nothing, on silence record-nothing, wait 10 s',
        ],
      ],
    ]);
    expect(replayCalls(before, after, calls).changed).toEqual([]);
  });
});
