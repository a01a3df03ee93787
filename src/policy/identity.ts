// Raw identifiers (docs/acs-payloads.md "Identifiers") as the policy language reads them: what kind of party, which number.

export type IdentityKind = "acs" | "teams" | "pstn" | "other";

/** ACS users are `8:acs:` (and the sovereign-cloud `8:gcch-acs:` / `8:dod-acs:`, and `8:spool:`); Teams users are `8:orgid:` etc. */
export function kindOf(rawId: string): IdentityKind {
  if (rawId.startsWith("4:")) return "pstn";
  if (/^8:(acs|spool|gcch-acs|dod-acs):/.test(rawId)) return "acs";
  if (/^8:(orgid|gcch|dod|teamsvisitor):/.test(rawId)) return "teams";
  return "other";
}

/** The E.164 number of a PSTN raw id (`4:+44…` → `+44…`); undefined for anything else, anonymous callers included. */
export function numberOf(rawId: string): string | undefined {
  const match = /^4:(\+\d+)$/.exec(rawId);
  return match?.[1];
}

/** A number pattern is an E.164 number, or a prefix ending in `*` (`+44800*`). */
export function numberMatches(pattern: string, number: string): boolean {
  return pattern.endsWith("*") ? number.startsWith(pattern.slice(0, -1)) : number === pattern;
}

/** A member entry is a raw id (compared exactly) or a number pattern (compared with the participant's number). */
export function memberEntryMatches(entry: string, rawId: string): boolean {
  if (!entry.startsWith("+")) return entry === rawId;
  const number = numberOf(rawId);
  return number !== undefined && numberMatches(entry, number);
}

/** Whether two member entries can name the same participant (same id, or overlapping number patterns). */
export function entriesOverlap(a: string, b: string): boolean {
  if (!a.startsWith("+") || !b.startsWith("+")) return a === b;
  const stem = (pattern: string) => (pattern.endsWith("*") ? pattern.slice(0, -1) : pattern);
  if (!a.endsWith("*") && !b.endsWith("*")) return a === b;
  if (a.endsWith("*") && b.endsWith("*")) return stem(a).startsWith(stem(b)) || stem(b).startsWith(stem(a));
  return a.endsWith("*") ? numberMatches(a, b) : numberMatches(b, a);
}

/** Whether every number `inner` matches is also matched by `outer`. */
export function patternCovers(outer: string, inner: string): boolean {
  if (!outer.endsWith("*")) return outer === inner;
  return inner.startsWith(outer.slice(0, -1));
}

/** Accepts what people type on a command line: `+44…` becomes the PSTN raw id `4:+44…`. */
export function rawIdFromInput(input: string): string {
  return /^\+\d+$/.test(input) ? `4:${input}` : input;
}

/**
 * A participant typed on a command line, as a raw id, or why it is none: an E.164 number, or a raw id of a kind a
 * call can carry (ACS and Teams users, phone numbers, bots and Teams apps `28:`). Anything else would silently match
 * nobody and make the answer look meaningful.
 */
export function participantFromInput(input: string): { rawId: string } | { problem: string } {
  const rawId = rawIdFromInput(input.trim());
  const known =
    /^4:\+\d{7,15}$/.test(rawId) ||
    /^8:(acs|spool|gcch-acs|dod-acs|orgid|gcch|dod|teamsvisitor):\S+$/.test(rawId) ||
    /^28:\S+$/.test(rawId);
  return known
    ? { rawId }
    : {
        problem: `${input}: not a participant: give a raw id (8:acs:…, 8:orgid:…, 28:…, 4:+44…) or a phone number (+44…)`,
      };
}
