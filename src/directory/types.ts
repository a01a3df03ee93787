/** One person (or line) a team's directory names: who is behind an identity a call carries. */
export interface DirectoryEntry {
  /** ACS `8:acs:…` or Teams `8:orgid:…` raw id, an E.164 number (`+44…`), or a number range (`+44800123400*`). */
  id: string;
  displayName: string;
  /** What they are on a call: `agent`, `supervisor`, `customer`, `line`… (lower case words). */
  role: string;
  email?: string;
  employeeId?: string;
  /** ISO 3166-1 alpha-2 country, optionally with its ISO 3166-2 subdivision (`GB`, `US-CA`): where they are. */
  location?: string;
}

/** A team's directory: `policies/<team-id>.directory.yaml`, validated. */
export interface TeamDirectory {
  team: string;
  /** The file it was read from (for lint messages). */
  file: string;
  /** Where national phone numbers (`020 7123 4567`) typed by reviewers of this team are read. */
  country?: string;
  entries: DirectoryEntry[];
  /** `file:line:column` of each entry, same order as `entries`. */
  positions?: string[];
}

/** An identity with the names the team's directory has for it (null when the directory does not know it). */
export interface NamedIdentity {
  id: string;
  displayName: string | null;
  role: string | null;
  location: string | null;
}

/**
 * Where names come from: the file-backed directory (src/directory/source.ts), or a customer's own (an HR system,
 * Entra ID, a CRM) behind the same two calls. Every call is for one team: a team's names are never looked up in
 * another team's directory.
 */
export interface DirectorySource {
  /** The entry naming `identity` (a raw id as a call carries it, `4:+44…` included) in `teamId`'s directory. */
  lookup(teamId: string, identity: string): Promise<DirectoryEntry | undefined>;
  /**
   * The identities in `teamId`'s directory a reviewer's text means: a name ("alice", "Alice Smith"), an e-mail,
   * an employee id, or a phone number in any common format. A phone number is found even when nobody in the
   * directory has it (a customer's number): its E.164 form is returned as an identity of its own.
   */
  search(teamId: string, text: string): Promise<SearchResult>;
}

export interface SearchResult {
  /** The identity keys to look for among a recording's participants (E.164 for numbers, raw ids otherwise). */
  identities: string[];
  /** Number ranges (`+44800123400*`) whose entry matched by name: a participant whose number starts so matches. */
  ranges: string[];
}
