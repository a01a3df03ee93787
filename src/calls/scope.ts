import { microsOf } from "../sessions/index.js";
import type { RecordingUntil } from "../policy/index.js";

// Whether a call's recording should still run, from what ACS told us about who is on the call
// (docs/policies.md "How long a recording lasts"; the facts: docs/acs-payloads.md "Participants: who is on the call,
// and who left"). Pure: the same observations, in any order and delivered any number of times, give the same answer.

/**
 * One thing ACS said about presence. Participants are raw ids (`8:acs:…`, `4:+…`, `8:orgid:…`); `at` is the event's
 * own time (ISO 8601, up to 7 fractional digits), or, for a participant list we asked for, when ACS answered.
 */
export type PresenceObservation =
  /** Event Grid CallParticipantAdded / CallParticipantRemoved: ACS VoIP users only. */
  | { source: "event-grid"; change: "joined" | "left"; participant: string; at: string }
  /**
   * A ParticipantsUpdated callback: the whole list as one call connection sees it. Its sequence number orders the
   * lists of that connection only; lists of different connections are never compared by number.
   */
  | { source: "connection"; callConnectionId: string; sequenceNumber?: number; participants: string[]; at: string }
  /** ACS's answer to GET …/participants: the arbiter, as of the time it answered. */
  | { source: "participant-list"; participants: string[]; at: string };

export interface ScopeInput {
  observations: readonly PresenceObservation[];
  /** The decision's `until`. */
  until: RecordingUntil;
  /** The decision's `inScope`: the recording teams' members on the call (raw ids). */
  inScope: readonly string[];
}

export type ScopeReason =
  /** `until: call-end`: presence does not matter. */
  | "until-call-end"
  /** At least one in-scope participant is on the call. */
  | "in-scope-present"
  /** ACS has not said anything yet about an in-scope participant the decision counted as on the call. */
  | "in-scope-not-observed"
  /** Every in-scope participant has left (and none of them is in doubt). */
  | "no-in-scope-present"
  /** The sources disagree about an in-scope participant, and nobody in scope is surely present: ask ACS. */
  | "sources-disagree";

export interface ScopeVerdict {
  /** `confirm`: do not act yet; ask ACS for the participant list and decide again with its answer. */
  want: "record" | "stop" | "confirm";
  reason: ScopeReason;
  /** In-scope participants on the call now (or not yet observed), in `inScope` order. */
  inScopePresent: string[];
  /** In-scope participants the sources disagree about. */
  inDoubt: string[];
  /** Everyone on the call now, as far as the sources agree (sorted). */
  present: string[];
}

type Claim = { present: boolean; at: number } | { conflict: true; at: number };

/** An unreadable time sorts before every readable one: such an observation never overrides a dated one. */
const timeOf = (iso: string): number => microsOf(iso) ?? Number.NEGATIVE_INFINITY;

/**
 * The newest of several claims about the same thing, by `rank`; two different claims of the same rank are a
 * conflict (the same sequence number with two lists, a join and a leave at the same instant).
 */
function newest<T>(items: readonly T[], rank: (item: T) => number, same: (a: T, b: T) => boolean): T | "conflict" {
  let best: T | undefined;
  let conflict = false;
  for (const item of items) {
    if (best === undefined || rank(item) > rank(best)) {
      best = item;
      conflict = false;
    } else if (rank(item) === rank(best) && !same(item, best)) {
      conflict = true;
    }
  }
  if (best === undefined) throw new Error("newest of nothing");
  return conflict ? "conflict" : best;
}

const sameSet = (a: readonly string[], b: readonly string[]) => {
  const left = new Set(a);
  const right = new Set(b);
  return left.size === right.size && [...left].every((p) => right.has(p));
};

type ListObservation = { participants: string[]; at: number; sequenceNumber?: number | undefined };

/** A list source's newest list, or a conflict; each participant is then present or absent according to it. */
function listClaims(lists: ListObservation[], bySequence: boolean): { present: Set<string>; at: number } | "conflict" {
  const chosen = newest(
    lists,
    (l) => (bySequence ? (l.sequenceNumber ?? Number.NEGATIVE_INFINITY) : l.at),
    (a, b) => sameSet(a.participants, b.participants),
  );
  if (chosen === "conflict") return "conflict";
  // A list delivered again under the same number counts from its latest delivery: when it was last said.
  const rank = (l: ListObservation) => (bySequence ? (l.sequenceNumber ?? Number.NEGATIVE_INFINITY) : l.at);
  const repeats = lists.filter((l) => rank(l) === rank(chosen) && sameSet(l.participants, chosen.participants));
  return { present: new Set(chosen.participants), at: Math.max(...repeats.map((l) => l.at)) };
}

/** What one source says about a participant, if it speaks of them. */
type Source = (participant: string) => Claim | undefined;

/**
 * Every source: Event Grid (each participant's newest event), each call connection (its newest list), and ACS's
 * participant list (the newest answer). A list that does not name someone says they are absent; an Event Grid
 * event speaks only of its own participant.
 */
function sourcesOf(observations: readonly PresenceObservation[]): {
  sources: Source[];
  arbiter: { present: Set<string>; at: number } | "conflict" | undefined;
  everyone: Set<string>;
} {
  const everyone = new Set<string>();
  const events = new Map<string, { present: boolean; at: number }[]>();
  const connections = new Map<string, ListObservation[]>();
  const answers: ListObservation[] = [];
  for (const o of observations) {
    const at = timeOf(o.at);
    if (o.source === "event-grid") {
      everyone.add(o.participant);
      events.set(o.participant, [...(events.get(o.participant) ?? []), { present: o.change === "joined", at }]);
      continue;
    }
    for (const p of o.participants) everyone.add(p);
    if (o.source === "participant-list") {
      answers.push({ participants: o.participants, at });
    } else {
      const entry = { participants: o.participants, at, sequenceNumber: o.sequenceNumber };
      connections.set(o.callConnectionId, [...(connections.get(o.callConnectionId) ?? []), entry]);
    }
  }

  const eventClaims = new Map<string, Claim>();
  for (const [participant, list] of events) {
    const latest = newest(
      list,
      (e) => e.at,
      (a, b) => a.present === b.present,
    );
    eventClaims.set(
      participant,
      latest === "conflict" ? { conflict: true, at: Math.max(...list.map((e) => e.at)) } : latest,
    );
  }
  const sources: Source[] = [(participant) => eventClaims.get(participant)];

  for (const lists of connections.values()) {
    // Sequence numbers order one connection's lists; when one lacks its number, they can only be ordered by time.
    const chosen = listClaims(
      lists,
      lists.every((l) => l.sequenceNumber !== undefined),
    );
    if (chosen === "conflict") {
      const at = Math.max(...lists.map((l) => l.at));
      sources.push(() => ({ conflict: true, at }));
    } else {
      sources.push((participant) => ({ present: chosen.present.has(participant), at: chosen.at }));
    }
  }
  const arbiter = answers.length > 0 ? listClaims(answers, false) : undefined;
  return { sources, arbiter, everyone };
}

type Presence = "present" | "absent" | "in-doubt" | "unobserved";

/**
 * What the sources say about one participant. ACS's participant list settles everything it is newer than; a claim newer
 * than ACS's answer is a change after it, so the newest then wins. Without an answer, sources that disagree leave
 * the participant in doubt.
 */
function presenceOf(
  participant: string,
  sources: readonly Source[],
  arbiter: { present: Set<string>; at: number } | "conflict" | undefined,
): Presence {
  const claims = sources.flatMap((claimOf) => {
    const claim = claimOf(participant);
    return claim ? [claim] : [];
  });
  if (arbiter === "conflict") return "in-doubt";
  const considered = arbiter
    ? [{ present: arbiter.present.has(participant), at: arbiter.at }, ...claims.filter((c) => c.at > arbiter.at)]
    : claims;
  if (considered.length === 0) return "unobserved";
  if (considered.some((c) => "conflict" in c)) return "in-doubt";
  const dated = considered as { present: boolean; at: number }[];
  if (arbiter) {
    const latest = newest(
      dated,
      (c) => c.at,
      (a, b) => a.present === b.present,
    );
    if (latest === "conflict") return "in-doubt";
    return latest.present ? "present" : "absent";
  }
  const states = new Set(dated.map((c) => c.present));
  if (states.size > 1) return "in-doubt";
  return dated[0]!.present ? "present" : "absent";
}

/** Whether the recording should run now, given who ACS says is on the call. */
export function scopeVerdict({ observations, until, inScope }: ScopeInput): ScopeVerdict {
  const { sources, arbiter, everyone } = sourcesOf(observations);
  const presence = new Map<string, Presence>();
  for (const p of new Set([...everyone, ...inScope])) presence.set(p, presenceOf(p, sources, arbiter));
  const present = [...presence]
    .filter(([, state]) => state === "present")
    .map(([p]) => p)
    .sort();
  const scoped = [...new Set(inScope)];
  const inScopePresent = scoped.filter((p) => presence.get(p) === "present" || presence.get(p) === "unobserved");
  const inDoubt = scoped.filter((p) => presence.get(p) === "in-doubt");
  const verdict = (want: ScopeVerdict["want"], reason: ScopeReason): ScopeVerdict => ({
    want,
    reason,
    inScopePresent,
    inDoubt,
    present,
  });

  if (until === "call-end") return verdict("record", "until-call-end");
  if (scoped.some((p) => presence.get(p) === "present")) return verdict("record", "in-scope-present");
  // The decision counted them on the call; until ACS says otherwise they are (never stop on silence).
  if (scoped.some((p) => presence.get(p) === "unobserved")) return verdict("record", "in-scope-not-observed");
  if (inDoubt.length > 0) return verdict("confirm", "sources-disagree");
  return verdict("stop", "no-in-scope-present");
}
