/**
 * The state of one recording, decided from what ACS says of it — never from which event happened to arrive last.
 * ACS promises no delivery order; every RecordingStateChanged carries the time it happened, and the first one of
 * a recording is `inactive` with startDateTime 0001-01-01 (docs/acs-payloads.md "State events and connections").
 * Pure: the store applies the decision with a compare-and-set, so concurrent workers agree.
 */

export type RecordingState = "active" | "inactive";

/** What we hold of one recording. */
export interface RecordingFacts {
  state: RecordingState;
  /**
   * When the fact was true at ACS, in microseconds since the epoch: the event's time, or the moment ACS was asked.
   * 0 for what we know before the recording was activated.
   */
  at: number;
  /** Not activated yet: all we have is our start's answer or the first `inactive` (startDateTime 0001-01-01). */
  initial: boolean;
  /** ACS said the start failed (StartRecordingFailed): the recording never runs. */
  failed: boolean;
  /** Who said so last. */
  source: "start" | "event" | "acs";
}

export type RecordingUpdate =
  /** Our start request returned this recording's id. */
  | { kind: "started" }
  /** A RecordingStateChanged: its state, its time, and whether it is the placeholder state before activation. */
  | { kind: "event"; state: RecordingState; at: number; initial: boolean }
  /** ACS answered getState (`missing`: it no longer knows the recording) at `at`. */
  | { kind: "acs"; state: RecordingState | "missing"; at: number }
  /** StartRecordingFailed. */
  | { kind: "start-failed"; at: number };

export interface RecordingDecision {
  next: RecordingFacts;
  /** Something to store: `next` differs from what was held. */
  changed: boolean;
  /** The update came out of order (older than what is held) and was not taken. */
  stale: boolean;
  /** The update contradicts what is held and cannot be ordered after it: only ACS can settle it. */
  conflict: boolean;
}

const same = (a: RecordingFacts | undefined, b: RecordingFacts) =>
  !!a &&
  a.state === b.state &&
  a.at === b.at &&
  a.initial === b.initial &&
  a.failed === b.failed &&
  a.source === b.source;

const decision = (
  current: RecordingFacts | undefined,
  next: RecordingFacts,
  flags: { stale?: boolean; conflict?: boolean } = {},
): RecordingDecision => ({
  next,
  changed: !same(current, next),
  stale: flags.stale ?? false,
  conflict: flags.conflict ?? false,
});

const kept = (current: RecordingFacts, flags: { stale?: boolean; conflict?: boolean }): RecordingDecision => ({
  next: current,
  changed: false,
  stale: flags.stale ?? false,
  conflict: flags.conflict ?? false,
});

export function decideRecordingState(current: RecordingFacts | undefined, update: RecordingUpdate): RecordingDecision {
  switch (update.kind) {
    case "started":
      // Our start's answer says only that the recording exists; anything already heard of it is newer.
      return current
        ? kept(current, {})
        : decision(current, { state: "inactive", at: 0, initial: true, failed: false, source: "start" });
    case "start-failed":
      return decision(current, {
        state: "inactive",
        at: Math.max(current?.at ?? 0, update.at),
        initial: false,
        failed: true,
        source: "event",
      });
    case "acs": {
      // ACS is the oracle: its answer wins over every event, whatever they said.
      const state = update.state === "missing" ? "inactive" : update.state;
      return decision(current, {
        state,
        at: Math.max(current?.at ?? 0, update.at),
        initial: false,
        failed: update.state === "active" ? false : (current?.failed ?? false),
        source: "acs",
      });
    }
    case "event": {
      const next: RecordingFacts = {
        state: update.state,
        at: update.at,
        initial: update.initial,
        failed: false,
        source: "event",
      };
      if (!current) return decision(current, next);
      // A start that failed never runs: an event saying otherwise is for ACS to settle.
      if (current.failed) return kept(current, { stale: true, conflict: update.state === "active" });
      if (update.initial) {
        // The state before activation is the first of all: it can only replace another such placeholder.
        if (!current.initial) return kept(current, { stale: true });
        return decision(current, { ...next, at: Math.max(current.at, update.at) });
      }
      if (current.initial || update.at > current.at) return decision(current, next);
      if (update.at < current.at) return kept(current, { stale: true, conflict: update.state !== current.state });
      // The same moment, two states: no order to go by.
      return kept(current, { conflict: update.state !== current.state });
    }
  }
}

/**
 * Whether ACS should be asked for the recording's state after this event: the events disagree, or the
 * recording really went inactive (stopped or paused after running). The placeholder `inactive` before
 * activation is no stop: the recording deadline covers a start that never becomes active.
 */
export function needsAcsCheck(update: RecordingUpdate, outcome: RecordingDecision): boolean {
  if (update.kind !== "event") return false;
  if (outcome.conflict) return true;
  return !outcome.stale && outcome.changed && update.state === "inactive" && !update.initial;
}

/** The call's recording state over all its recordings: active if any is; undefined while none is known. */
export function callRecordingState(recordings: Readonly<Record<string, RecordingFacts>>): RecordingState | undefined {
  const all = Object.values(recordings);
  if (all.length === 0) return undefined;
  return all.some((r) => r.state === "active") ? "active" : "inactive";
}

/** startDateTime of a recording not yet activated: real deliveries say `0001-01-01T00:00:00+00:00`. */
export function isPlaceholderStart(startDateTime: string | undefined): boolean {
  return startDateTime !== undefined && startDateTime.startsWith("0001-01-01");
}

/**
 * An ISO 8601 time in microseconds since the epoch, or undefined. ACS writes seven fractional digits
 * ("2025-03-05T08:58:29.9685604+00:00"); two events of one recording can be less than a millisecond apart.
 */
export function microsOf(iso: string): number | undefined {
  const match = /^(.*T\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})?$/i.exec(iso.trim());
  if (!match) return undefined;
  const [, whole, fraction = "", zone = "Z"] = match;
  const seconds = Date.parse(`${whole}${zone}`);
  if (!Number.isFinite(seconds)) return undefined;
  return seconds * 1000 + Number(fraction.padEnd(6, "0").slice(0, 6));
}

/** Parses a stored RecordingFacts; undefined for anything else (a value written by another version). */
export function parseRecordingFacts(raw: string | undefined | null): RecordingFacts | undefined {
  if (!raw) return undefined;
  try {
    const value = JSON.parse(raw) as Partial<RecordingFacts>;
    if (value.state !== "active" && value.state !== "inactive") return undefined;
    return {
      state: value.state,
      at: typeof value.at === "number" ? value.at : 0,
      initial: value.initial === true,
      failed: value.failed === true,
      source: value.source === "start" || value.source === "acs" ? value.source : "event",
    };
  } catch {
    return undefined;
  }
}
