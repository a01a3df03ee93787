import { describe, expect, it } from "vitest";
import { parsePhoneNumberFromString } from "libphonenumber-js";
import { readFileSync } from "node:fs";
import { entryCovers, jurisdictionOfParty, normalizeLocation } from "./jurisdiction.js";
import { parseAreaCodes, parseJurisdictionData, parseJurisdictionSets } from "./load.js";
import type { JurisdictionContext } from "./types.js";

const areaCodes = parseAreaCodes(
  "nanp-area-codes.yaml",
  readFileSync(new URL("../../policies/jurisdictions.nanp-area-codes.yaml", import.meta.url), "utf8"),
);

const directory: Record<string, string> = {
  "8:acs:in-paris": "FR",
  "8:orgid:in-sf": "us-ca",
  "8:acs:typo": "California",
  "4:+14155550199": "GB", // a Californian number whose owner the directory places in London
};
const members: Record<string, { teamId: string; location: string }> = {
  "8:acs:agent": { teamId: "support", location: "GB" },
  "8:acs:typo": { teamId: "support", location: "GB" },
  "8:acs:bad-default": { teamId: "broken", location: "Europe" },
};
const ctx: JurisdictionContext = {
  areaCodes,
  directoryLocation: (rawId) => directory[rawId],
  teamDefaultLocation: (rawId) => members[rawId],
};

describe("jurisdictionOfParty", () => {
  it.each([
    // PSTN: country by libphonenumber-js, state or province by area code
    ["4:+14155550100", "US-CA", "phone-number"],
    ["4:+13055550100", "US-FL", "phone-number"],
    ["4:+13125550100", "US-IL", "phone-number"],
    ["4:+16175550100", "US-MA", "phone-number"],
    ["4:+12065550100", "US-WA", "phone-number"],
    ["4:+12125550100", "US-NY", "phone-number"],
    ["4:+12145550100", "US-TX", "phone-number"],
    ["4:+12025550100", "US-DC", "phone-number"],
    ["4:+14165550100", "CA-ON", "phone-number"],
    ["4:+15145550100", "CA-QC", "phone-number"],
    ["4:+16045550100", "CA-BC", "phone-number"],
    // +1 but not a state or province of the table: the country, state unknown
    ["4:+18005550100", "US-unknown", "phone-number"], // toll-free
    ["4:+19025550100", "CA-unknown", "phone-number"], // shared by Nova Scotia and Prince Edward Island
    // +1 numbers of other NANP countries and US territories are countries of their own
    ["4:+18765550100", "JM", "phone-number"],
    ["4:+17875550100", "PR", "phone-number"],
    // elsewhere: the country
    ["4:+442071234567", "GB", "phone-number"],
    ["4:+448001234000", "GB", "phone-number"],
    ["4:+33142685300", "FR", "phone-number"],
    ["4:+4930123456", "DE", "phone-number"],
    // not a number of one country, withheld, garbage
    ["4:+80012345678", "unknown", "none"],
    ["4:+999123", "unknown", "none"],
    ["4:", "unknown", "none"],
    // directory first, for any kind of identity
    ["8:acs:in-paris", "FR", "directory"],
    ["8:orgid:in-sf", "US-CA", "directory"],
    ["4:+14155550199", "GB", "directory"],
    // a member without a directory location: the team's default
    ["8:acs:agent", "GB", "team-default"],
    // an invalid directory location is not used: the team default then
    ["8:acs:typo", "GB", "team-default"],
    // an invalid team default is not used either
    ["8:acs:bad-default", "unknown", "none"],
    // nobody knows where an ACS user outside the teams is
    ["8:acs:customer", "unknown", "none"],
    ["8:teamsvisitor:someone", "unknown", "none"],
  ])("%s is in %s (%s)", (party, jurisdiction, source) => {
    const found = jurisdictionOfParty(party, ctx);
    expect({ jurisdiction: found.jurisdiction, source: found.source }).toEqual({ jurisdiction, source });
    expect(found.party).toBe(party);
    expect(found.detail.length).toBeGreaterThan(0);
  });

  it("says why nothing placed a party", () => {
    expect(jurisdictionOfParty("8:acs:typo", { areaCodes }).detail).toBe(
      "no directory location, number or team default",
    );
    expect(jurisdictionOfParty("8:acs:typo", ctx).detail).toContain("default location GB of team support");
    expect(jurisdictionOfParty("8:acs:bad-default", ctx).detail).toBe(
      'team broken\'s default location "Europe" is not an ISO 3166 code',
    );
    expect(jurisdictionOfParty("4:+14155550100", ctx).detail).toBe(
      "+14155550100: area code 415 is US-CA (nanp-area-codes)",
    );
  });

  it("uses the table for a +1 area code newer than libphonenumber-js knows", () => {
    const number = "+16245550100"; // not in service in the library's metadata
    expect(parsePhoneNumberFromString(number)?.country).toBeUndefined();
    expect(jurisdictionOfParty(`4:${number}`, ctx).jurisdiction).toBe("unknown");
    const newer = new Map([...areaCodes, ["624", "US-NY"]]);
    expect(jurisdictionOfParty(`4:${number}`, { areaCodes: newer }).jurisdiction).toBe("US-NY");
  });

  it("a correction of the table changes where a number is placed", () => {
    const corrected = new Map([...areaCodes, ["415", "US-NV"]]);
    expect(jurisdictionOfParty("4:+14155550100", { areaCodes: corrected }).jurisdiction).toBe("US-NV");
    // but a Canadian entry for a number libphonenumber-js places in the US is not believed
    const wrongCountry = new Map([...areaCodes, ["415", "CA-ON"]]);
    expect(jurisdictionOfParty("4:+14155550100", { areaCodes: wrongCountry }).jurisdiction).toBe("US-unknown");
  });
});

describe("the area-code table", () => {
  it("agrees with libphonenumber-js on the country of every area code it knows", () => {
    const disagreements = [...areaCodes].flatMap(([code, region]) => {
      const country = parsePhoneNumberFromString(`+1${code}2345678`)?.country;
      return country !== undefined && country !== region.slice(0, 2) ? [`${code} ${region} ${country}`] : [];
    });
    expect(disagreements).toEqual([]);
    expect(areaCodes.size).toBeGreaterThan(380);
  });

  it("places every US state and DC, and the Canadian provinces of single-province area codes", () => {
    const regions = new Set(areaCodes.values());
    const states =
      "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY";
    for (const state of states.split(" ")) expect(regions, state).toContain(`US-${state}`);
    for (const province of "AB BC MB NB NL ON QC SK".split(" ")) expect(regions, province).toContain(`CA-${province}`);
  });

  it("refuses a malformed table", () => {
    expect(() => parseAreaCodes("t.yaml", 'version: 1\nsource: x\nareaCodes:\n  "415": California\n')).toThrow(
      /t.yaml: areaCodes.415: US-XX/,
    );
    expect(() => parseAreaCodes("t.yaml", 'version: 1\nsource: x\nareaCodes:\n  "115": US-CA\n')).toThrow(
      /three-digit NANP area code/,
    );
  });
});

describe("jurisdiction sets", () => {
  const sets = parseJurisdictionSets(
    "sets.yaml",
    readFileSync(new URL("../../policies/jurisdictions.sets.yaml", import.meta.url), "utf8"),
  );

  it("ships the lists the policies refer to, each with its sources", () => {
    expect(sets.get("all-party-consent")?.jurisdictions).toEqual(
      expect.arrayContaining(["US-CA", "US-FL", "US-IL", "US-MD", "US-MA", "US-MT", "US-NH", "US-PA", "US-WA"]),
    );
    expect(sets.get("eu")?.jurisdictions).toHaveLength(27);
    for (const set of sets.values()) expect(set.sources.length, set.name).toBeGreaterThan(0);
  });

  it.each([
    ["US-CA", "US-CA", true],
    ["US", "US-CA", true],
    ["US", "US-unknown", true],
    ["US", "US", true],
    ["US-CA", "US", false],
    ["US-CA", "US-CAX", false],
    ["US-unknown", "US-unknown", true],
    ["US-unknown", "US-CA", false],
    ["CA", "US-CA", false],
    ["GB", "unknown", false],
  ])("entry %s covers %s: %s", (entry, jurisdiction, covers) => {
    expect(entryCovers(entry, jurisdiction)).toBe(covers);
  });

  it.each([
    ["a lower-case code", "sets:\n  x: { sources: [s], jurisdictions: [us-ca] }", /ISO 3166 code in capitals/],
    ["no sources", "sets:\n  x: { sources: [], jurisdictions: [GB] }", /say where the list comes from/],
    ["a set named unknown", "sets:\n  unknown: { sources: [s], jurisdictions: [GB] }", /nobody could place/],
    ["a duplicate", "sets:\n  x: { sources: [s], jurisdictions: [GB, GB] }", /GB is listed twice/],
    ["an unknown field", "sets:\n  x: { sources: [s], jurisdictions: [GB], countries: [FR] }", /countries/],
  ])("refuses %s", (_, body, message) => {
    expect(() => parseJurisdictionSets("sets.yaml", `version: 1\n${body}\n`)).toThrow(message);
  });

  it("hashes both files: a change of either is a different hash", () => {
    const setsText = "version: 1\nsets:\n  x: { sources: [s], jurisdictions: [GB] }\n";
    const codesText = 'version: 1\nsource: x\nareaCodes:\n  "415": US-CA\n';
    const a = parseJurisdictionData({ name: "s", text: setsText }, { name: "c", text: codesText });
    const b = parseJurisdictionData({ name: "s", text: setsText }, { name: "c", text: codesText.replace("CA", "NV") });
    expect(a.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(a.hash).not.toBe(b.hash);
  });
});

describe("normalizeLocation", () => {
  it.each([
    ["GB", "GB"],
    [" us-ca ", "US-CA"],
    ["fr", "FR"],
    ["California", undefined],
    ["USA", undefined],
    ["", undefined],
  ])("%j → %j", (input, output) => expect(normalizeLocation(input)).toBe(output));
});
