import { parsePhoneNumberFromString } from "libphonenumber-js";
import {
  UNKNOWN_JURISDICTION,
  type Jurisdiction,
  type JurisdictionContext,
  type JurisdictionSet,
  type PartyJurisdiction,
} from "./types.js";

// Where a party is (docs/consent.md "Where a party is"): the directory, else the phone number, else the team's
// default location, else unknown.

const LOCATION = /^[A-Z]{2}(-[A-Z0-9]{1,3})?$/;

/**
 * A location as written in a directory or policy (`us-ca`, ` GB `) in its canonical form (`US-CA`, `GB`), or
 * undefined when it is not an ISO 3166-1 alpha-2 code, optionally with an ISO 3166-2 subdivision.
 */
export function normalizeLocation(value: string): Jurisdiction | undefined {
  const upper = value.trim().toUpperCase();
  return LOCATION.test(upper) ? upper : undefined;
}

/** The country of a jurisdiction (`US-CA` → `US`); undefined for `unknown`. */
export function countryOf(jurisdiction: Jurisdiction): string | undefined {
  if (jurisdiction === UNKNOWN_JURISDICTION) return undefined;
  return jurisdiction.split("-")[0];
}

/**
 * Whether a set entry covers a jurisdiction: `US-CA` covers `US-CA`; `US` covers `US` and every `US-…`, including
 * `US-unknown` (a US number whose state is not known), which `US-unknown` alone also covers.
 */
export function entryCovers(entry: Jurisdiction, jurisdiction: Jurisdiction): boolean {
  if (entry === jurisdiction) return true;
  return !entry.includes("-") && jurisdiction.startsWith(`${entry}-`);
}

export function setCovers(set: JurisdictionSet, jurisdiction: Jurisdiction): boolean {
  return set.jurisdictions.some((entry) => entryCovers(entry, jurisdiction));
}

/** The E.164 number of a PSTN raw id (`4:+1…`); undefined for anything else, anonymous callers included. */
function numberOf(rawId: string): string | undefined {
  return /^4:(\+\d+)$/.exec(rawId)?.[1];
}

/** NANP countries whose numbers are placed by area code in the table (the table holds US states and Canadian provinces). */
const BY_AREA_CODE = new Set(["US", "CA"]);

function ofNumber(party: string, number: string, ctx: JurisdictionContext): PartyJurisdiction | undefined {
  const parsed = parsePhoneNumberFromString(number);
  if (!parsed) return undefined;
  const areaCode = parsed.nationalNumber.slice(0, 3);
  // An area code newer than libphonenumber-js's metadata: the table (NANPA) knows it, the library not yet.
  const country =
    parsed.country ??
    (parsed.countryCallingCode === "1" ? countryOf(ctx.areaCodes.get(areaCode) ?? UNKNOWN_JURISDICTION) : undefined);
  if (!country) return undefined;
  if (parsed.countryCallingCode === "1" && BY_AREA_CODE.has(country)) {
    const region = ctx.areaCodes.get(areaCode);
    if (region && countryOf(region) === country) {
      return {
        party,
        jurisdiction: region,
        source: "phone-number",
        detail: `${number}: area code ${areaCode} is ${region} (nanp-area-codes)`,
      };
    }
    return {
      party,
      jurisdiction: `${country}-${UNKNOWN_JURISDICTION}`,
      source: "phone-number",
      detail: `${number}: country ${country}; area code ${areaCode} is not in the area-code table (non-geographic, shared or new), so the ${country === "US" ? "state" : "province"} is not known`,
    };
  }
  return { party, jurisdiction: country, source: "phone-number", detail: `${number}: country ${country}` };
}

/**
 * Where a party is, in this order:
 * 1. the team directory's `location` of the identity (any kind: a directory may list numbers too);
 * 2. a phone number's country (libphonenumber-js); a US or Canadian number's state or province by area code;
 * 3. the `defaultLocation` of the team the party is a member of;
 * 4. `unknown`.
 * An invalid location in the directory or a team default is not used; the detail says so.
 */
export function jurisdictionOfParty(party: string, ctx: JurisdictionContext): PartyJurisdiction {
  const notes: string[] = [];
  const listed = ctx.directoryLocation?.(party);
  if (listed !== undefined) {
    const location = normalizeLocation(listed);
    if (location)
      return { party, jurisdiction: location, source: "directory", detail: `directory location ${location}` };
    notes.push(`the directory's location "${listed}" is not an ISO 3166 code`);
  }
  const number = numberOf(party);
  if (number) {
    const found = ofNumber(party, number, ctx);
    if (found) return found;
    notes.push(`${number} is not a number of any one country`);
  }
  const fallback = ctx.teamDefaultLocation?.(party);
  if (fallback) {
    const location = normalizeLocation(fallback.location);
    if (location) {
      return {
        party,
        jurisdiction: location,
        source: "team-default",
        detail: `default location ${location} of team ${fallback.teamId}`,
      };
    }
    notes.push(`team ${fallback.teamId}'s default location "${fallback.location}" is not an ISO 3166 code`);
  }
  if (party.startsWith("4:") && !number) notes.push("the number is withheld");
  return {
    party,
    jurisdiction: UNKNOWN_JURISDICTION,
    source: "none",
    detail: notes.length > 0 ? notes.join("; ") : "no directory location, number or team default",
  };
}
