// Pure: who an identity is, and which identities a reviewer's search text means (docs/directory.md "Search").
import { countryOf, identityKey, identityKind, idMatches, normalisePhone } from "./identity.js";
import type { DirectoryEntry, NamedIdentity, SearchResult, TeamDirectory } from "./types.js";

/** Lower case without accents, so "Zoë" is found by "zoe" and "ZOË". */
export function fold(text: string): string {
  return text.normalize("NFKD").replace(/\p{M}/gu, "").toLowerCase();
}

const words = (text: string) =>
  fold(text)
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean);

/**
 * Whether a name matches what a reviewer typed: every word typed begins a different word of the name, in any
 * order ("alice", "Alice Smith", "smith a", "ali smi"). Empty text matches nothing.
 */
export function nameMatches(name: string, text: string): boolean {
  const typed = words(text);
  if (typed.length === 0) return false;
  const left = words(name);
  for (const word of typed) {
    const at = left.findIndex((candidate) => candidate.startsWith(word));
    if (at === -1) return false;
    left.splice(at, 1);
  }
  return true;
}

/** Whether an entry is meant by the text: its name, its e-mail (whole, case-insensitive) or its employee id. */
export function entryMatches(entry: DirectoryEntry, text: string): boolean {
  const typed = text.trim().toLowerCase();
  if (typed === "") return false;
  if (entry.email !== undefined && entry.email.toLowerCase() === typed) return true;
  if (entry.employeeId !== undefined && entry.employeeId.toLowerCase() === typed) return true;
  return nameMatches(entry.displayName, text);
}

/** The countries a national number typed for this team may be in: the team's own, then its people's. */
export function countriesOf(directory: TeamDirectory | undefined): string[] {
  if (!directory) return [];
  const people = directory.entries.flatMap((e) => (e.location ? [countryOf(e.location)] : []));
  return [...new Set([...(directory.country ? [directory.country] : []), ...people])];
}

/**
 * What a reviewer's text means in one team: a raw id typed as is; a phone number in any common format (in E.164,
 * whether or not the directory knows it: a customer's number is worth finding); else the entries whose name,
 * e-mail or employee id match. Empty when nothing matches.
 */
export function searchDirectory(directory: TeamDirectory | undefined, text: string): SearchResult {
  const key = identityKey(text);
  const kind = identityKind(key);
  if (kind === "acs" || kind === "teams" || kind === "phone") return { identities: [key], ranges: [] };
  const phone = normalisePhone(text, countriesOf(directory));
  if (phone !== undefined) return { identities: [phone], ranges: [] };
  const found = (directory?.entries ?? []).filter((entry) => entryMatches(entry, text));
  return {
    identities: found.filter((e) => !e.id.endsWith("*")).map((e) => e.id),
    ranges: found.filter((e) => e.id.endsWith("*")).map((e) => e.id),
  };
}

/** Whether any of a recording's participants is one the search found. */
export function participantsMatch(participants: readonly string[], result: SearchResult): boolean {
  return participants.some((participant) => {
    const key = identityKey(participant);
    return result.identities.includes(key) || result.ranges.some((range) => idMatches(range, key));
  });
}

/** The entry naming an identity: the exact one, else the narrowest number range holding the number. */
export function lookupEntry(directory: TeamDirectory | undefined, identity: string): DirectoryEntry | undefined {
  if (!directory) return undefined;
  const key = identityKey(identity);
  const exact = directory.entries.find((e) => e.id === key);
  if (exact) return exact;
  return directory.entries
    .filter((e) => e.id.endsWith("*") && idMatches(e.id, key))
    .sort((a, b) => b.id.length - a.id.length)[0];
}

/** An identity with its name, role and location, or nulls when the directory has no entry for it. */
export function named(id: string, entry: DirectoryEntry | undefined): NamedIdentity {
  return {
    id,
    displayName: entry?.displayName ?? null,
    role: entry?.role ?? null,
    location: entry?.location ?? null,
  };
}
