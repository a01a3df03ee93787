// The identities a directory names (docs/directory.md): ACS and Teams raw ids, E.164 numbers and number ranges.
import { parsePhoneNumberFromString, type CountryCode } from "libphonenumber-js";

export type DirectoryIdentityKind = "acs" | "teams" | "phone" | "phone-range";

const ACS = /^8:(acs|spool|gcch-acs|dod-acs):[^\s]+$/;
const TEAMS = /^8:(orgid|gcch|dod|teamsvisitor):[^\s]+$/;
const E164 = /^\+[1-9]\d{6,14}$/;
const RANGE = /^\+[1-9]\d{0,14}\*$/;

/** What kind of identity a directory entry's `id` is, or undefined when it is none the directory accepts. */
export function identityKind(id: string): DirectoryIdentityKind | undefined {
  if (ACS.test(id)) return "acs";
  if (TEAMS.test(id)) return "teams";
  if (E164.test(id)) return "phone";
  if (RANGE.test(id)) return "phone-range";
  return undefined;
}

/**
 * The key an identity is looked up under: a phone number as E.164 (`4:+44…` as a call carries it, and `+44…` as
 * a policy lists it, are the same person), every other raw id as it is.
 */
export function identityKey(identity: string): string {
  const trimmed = identity.trim();
  return /^4:\+\d+$/.test(trimmed) ? trimmed.slice(2) : trimmed;
}

/** ISO 3166-1 alpha-2 country, optionally with an ISO 3166-2 subdivision (`GB`, `US-CA`, `GB-SCT`). */
export const LOCATION = /^([A-Z]{2})(-[A-Z0-9]{1,3})?$/;

const regions = new Intl.DisplayNames(["en"], { type: "region" });

/** Codes ICU names that are not countries: user-assigned (AA, QM–QZ, XA–XZ but Kosovo's XK, ZZ) and groupings. */
const NOT_COUNTRIES = /^(AA|Q[M-Z]|X[A-JL-Z]|ZZ|EU|EZ|UN)$/;

/**
 * Whether `code` is an ISO 3166-1 alpha-2 country as ICU knows it: named (an unknown code is given back as is),
 * canonical (ICU reads the reserved `UK` as `GB`: refused, so the file says what it means), not user-assigned.
 */
export function isKnownCountry(code: string): boolean {
  if (!/^[A-Z]{2}$/.test(code) || NOT_COUNTRIES.test(code)) return false;
  return regions.of(code) !== code && Intl.getCanonicalLocales(`und-${code}`)[0] === `und-${code}`;
}

/** The country part of a location (`US-CA` → `US`). */
export function countryOf(location: string): string {
  return location.slice(0, 2);
}

/**
 * A phone number as typed by a person ("+44 20 7123 4567", "020 7123 4567", "(415) 555-0100") in E.164, read in
 * the first of `countries` where it is a valid number (a number with its own `+` country code needs none);
 * undefined when it is not a phone number in any of them. Pure.
 */
export function normalisePhone(text: string, countries: readonly string[]): string | undefined {
  const trimmed = text.trim();
  // Digits, spaces and the usual punctuation only, with at least 6 digits: anything else is a name.
  if (!/^[+(]?[\d\s().\-/]+$/.test(trimmed) || trimmed.replace(/\D/g, "").length < 6) return undefined;
  const intl = trimmed.replace(/^00/, "+");
  if (intl.startsWith("+")) {
    // Valid, or at least of a possible length (reserved ranges such as Ofcom's drama numbers are not "valid").
    const parsed = parsePhoneNumberFromString(intl);
    if (parsed?.isPossible()) return parsed.number;
    // A number the metadata does not know (a new range, a test number) is still a number when it looks like E.164.
    const digits = `+${intl.replace(/\D/g, "")}`;
    return E164.test(digits) ? digits : undefined;
  }
  const readings = countries.flatMap((country) => {
    const parsed = parsePhoneNumberFromString(trimmed, country as CountryCode);
    return parsed ? [parsed] : [];
  });
  // The first country where it is a valid number; else the first where it is of a possible length.
  return (readings.find((p) => p.isValid()) ?? readings.find((p) => p.isPossible()))?.number;
}

/** Whether a directory id (an exact identity or a `+…*` number range) names `key` (an identityKey). */
export function idMatches(id: string, key: string): boolean {
  return id.endsWith("*") ? key.startsWith("+") && key.startsWith(id.slice(0, -1)) : id === key;
}
