/**
 * A recorded call's timeline from what we know of it (pure; docs/qa-page.md "Timeline"): the call's start, each
 * join and leave, the recording's start, every pause (with who asked and why, when a request through the calls API
 * matches it, or the party whose consent it waited for), the announcement, each party's consent question and answer
 * (or the notice), enforcement actions, stops on purpose, the recording's and the call's end — each placed on the
 * recording's audio, whose paused stretches are not in the audio (ACS's pauseResumeIntervals).
 */

export type TimelineKind =
  | "call-started"
  | "joined"
  | "left"
  | "recording-started"
  | "paused"
  | "resumed"
  | "announcement"
  | "consent-asked"
  | "consent-answered"
  | "enforcement"
  | "stopped"
  | "recording-ended"
  | "call-ended";

export interface TimelineEvent {
  kind: TimelineKind;
  /** When it happened (ISO 8601), or null when we know that it happened but not when (the announcement). */
  at: string | null;
  /** Where in the recording's audio (ms from its first sample), or null when outside it or unknown. */
  audioMs: number | null;
  /** The participant (raw id) a join or leave is about, or who asked for a pause, resume or stop. */
  who?: string;
  reason?: string;
  /** One line in words. */
  text: string;
}

/** The facts the timeline is built from, each from where it is kept (manifest, session, ledger, call-action audit). */
export interface TimelineFacts {
  recording: {
    startTime: string;
    durationMs: number;
    endedBy?: { trigger: "scope" | "request"; by: string; reason: string; at: string } | undefined;
  };
  /** ACS's pause intervals of the recording (the manifest's `pauses`): wall-clock start and length. */
  pauses: readonly { startTime: string; durationMs: number }[];
  call?: {
    startedAt?: string | undefined;
    endedAt?: string | undefined;
    announcement?: { status: "requested" | "played" | "failed"; detail?: string } | undefined;
    /**
     * Each announcement play by its step (the session's `announcements`: docs/recording-control.md "Announce"), dated
     * by when it was asked of ACS; `to` is the joiner a play was for. Sessions from before it have none.
     */
    announcements?: Readonly<
      Record<string, { requestedAt?: string; to?: string; status?: "played" | "failed"; detail?: string }>
    >;
    presence?: readonly Presence[];
  };
  /** Enforcement actions taken on the call (the ledger's). */
  actions?: readonly { at: string; trigger: string; action: string; reason: string }[];
  /** Requests through the calls API (the call-action audit): `recording:pause`, `recording:resume`, `recording:stop`. */
  requests?: readonly { at: string; actor: string; action: string; reason?: string | undefined; outcome: string }[];
  /** Consent or notice by jurisdiction (the signed manifest's `consent`: src/ledger ConsentRecord, structurally). */
  consent?: ConsentFacts | undefined;
}

type ConsentOutcome = "given" | "refused" | "silent" | "failed" | "notified" | "notice-failed";

/** What the timeline reads of a consent record: each party's question and answer (flat fields: one party). */
export interface ConsentFacts {
  requirement: "notice" | "consent";
  decidedBy: { party: string; jurisdiction: string; set: string };
  target?: string | undefined;
  askedAt: string;
  /** A ConsentOutcome; read from a manifest as any string. */
  outcome?: string | undefined;
  answeredAt?: string | undefined;
  heard?: string | undefined;
  fallback?: string | undefined;
  parties?:
    | readonly {
        party: string;
        askedAt?: string | undefined;
        outcome?: string | undefined;
        answeredAt?: string | undefined;
        heard?: string | undefined;
      }[]
    | undefined;
}

/** Each party's question and answer, in the order asked: `parties` when several were asked, else the flat fields. */
export function consentQuestions(consent: ConsentFacts) {
  if (consent.parties && consent.parties.length > 0) return consent.parties;
  return [
    {
      party: consent.target,
      askedAt: consent.askedAt,
      outcome: consent.outcome,
      answeredAt: consent.answeredAt,
      heard: consent.heard,
    },
  ];
}

const ANSWER_WORDS: Record<ConsentOutcome, string> = {
  given: "Consent given",
  refused: "Consent refused",
  silent: "No answer to the consent question",
  failed: "The consent question could not be asked or answered",
  notified: "Recording notice played",
  "notice-failed": "The recording notice could not be played",
};

/** A consent pause starts this long at most before its party is asked (the pause is asked of ACS first). */
const CONSENT_PAUSE_MATCH_MS = 30_000;

/** What ACS told of presence (src/calls PresenceObservation, structurally). */
export type Presence =
  | { source: "event-grid"; change: "joined" | "left"; participant: string; at: string }
  | { source: "connection" | "participant-list"; participants: readonly string[]; at: string };

/** A pause request within this long before ACS's pause started is the one that made it. */
const REQUEST_MATCH_MS = 30_000;

const ms = (iso: string) => Date.parse(iso);

/**
 * The audio offset of a wall-clock instant: time since the recording's start less the paused time before it; inside
 * a pause, where the pause began; null before the start or after the audio's end.
 */
export function audioOffset(facts: Pick<TimelineFacts, "recording" | "pauses">, at: string): number | null {
  const start = ms(facts.recording.startTime);
  const t = ms(at);
  if (Number.isNaN(t) || t < start) return null;
  let paused = 0;
  for (const pause of [...facts.pauses].sort((a, b) => ms(a.startTime) - ms(b.startTime))) {
    const from = ms(pause.startTime);
    if (t <= from) break;
    paused += Math.min(t, from + pause.durationMs) - from;
  }
  const offset = t - start - paused;
  return offset > facts.recording.durationMs ? null : offset;
}

/** Joins and leaves: Event Grid's changes as they are; for anyone they never name, the differences between lists. */
export function presenceChanges(
  presence: readonly Presence[],
): { change: "joined" | "left"; participant: string; at: string }[] {
  const ordered = [...presence].sort((a, b) => ms(a.at) - ms(b.at));
  const named = new Set(ordered.flatMap((p) => (p.source === "event-grid" ? [p.participant] : [])));
  const changes: { change: "joined" | "left"; participant: string; at: string }[] = [];
  let present = new Set<string>();
  for (const observation of ordered) {
    if (observation.source === "event-grid") {
      changes.push({ change: observation.change, participant: observation.participant, at: observation.at });
      continue;
    }
    const now = new Set(observation.participants.filter((p) => !named.has(p)));
    for (const p of now) if (!present.has(p)) changes.push({ change: "joined", participant: p, at: observation.at });
    for (const p of present) if (!now.has(p)) changes.push({ change: "left", participant: p, at: observation.at });
    present = now;
  }
  // Someone Event Grid only saw leave (on the call before its events began: typically the caller) joined when a
  // list first showed them, if one did before they left.
  for (const participant of named) {
    const first = changes.find((c) => c.participant === participant);
    if (first?.change !== "left") continue;
    const seen = ordered.find(
      (o) => o.source !== "event-grid" && o.participants.includes(participant) && ms(o.at) <= ms(first.at),
    );
    if (seen) changes.push({ change: "joined", participant, at: seen.at });
  }
  return changes.sort((a, b) => ms(a.at) - ms(b.at));
}

const ORDER: TimelineKind[] = [
  "call-started",
  "joined",
  "consent-asked",
  "consent-answered",
  "recording-started",
  "announcement",
  "resumed",
  "paused",
  "enforcement",
  "stopped",
  "left",
  "recording-ended",
  "call-ended",
];

/** The timeline, oldest first (events at one instant in the order a call goes through them; undated ones last). */
export function buildTimeline(facts: TimelineFacts): TimelineEvent[] {
  const events: TimelineEvent[] = [];
  const at = (iso: string) => ({ at: iso, audioMs: audioOffset(facts, iso) });
  const { recording, call } = facts;
  if (call?.startedAt) events.push({ kind: "call-started", ...at(call.startedAt), text: "Call started" });
  for (const change of presenceChanges(call?.presence ?? [])) {
    events.push({
      kind: change.change,
      ...at(change.at),
      who: change.participant,
      text: change.change === "joined" ? "Joined" : "Left",
    });
  }
  events.push({ kind: "recording-started", at: recording.startTime, audioMs: 0, text: "Recording started" });

  const requests = [...(facts.requests ?? [])].filter((r) => r.outcome === "accepted");
  const used = new Set<number>();
  /** The latest unused accepted request for `action` made shortly before `when` (pauses taken oldest first). */
  const requestFor = (action: string, when: number) => {
    let found = -1;
    requests.forEach((r, j) => {
      const t = ms(r.at);
      const fits = !used.has(j) && r.action === action && t <= when + 1_000 && when - t <= REQUEST_MATCH_MS;
      if (fits && (found === -1 || t > ms(requests[found]!.at))) found = j;
    });
    if (found === -1) return undefined;
    used.add(found);
    return requests[found];
  };
  const questions = facts.consent ? consentQuestions(facts.consent) : [];
  const consentUsed = new Set<number>();
  /** The party first asked for consent shortly after `when` (a joiner's pause comes before their question). */
  const askedAfter = (when: number) => {
    const found = questions.findIndex((q, j) => {
      const t = q.askedAt ? ms(q.askedAt) : NaN;
      return !consentUsed.has(j) && q.party !== undefined && t >= when - 1_000 && t - when <= CONSENT_PAUSE_MATCH_MS;
    });
    if (found === -1) return undefined;
    consentUsed.add(found);
    return questions[found];
  };
  for (const pause of [...facts.pauses].sort((a, b) => ms(a.startTime) - ms(b.startTime))) {
    const from = ms(pause.startTime);
    const asked = requestFor("recording:pause", from);
    const forConsent = asked ? undefined : askedAfter(from);
    const who = asked
      ? { who: asked.actor, ...(asked.reason ? { reason: asked.reason } : {}) }
      : forConsent
        ? { who: forConsent.party!, reason: "waiting for consent" }
        : {};
    const seconds = Math.round(pause.durationMs / 100) / 10;
    const cause = asked
      ? ""
      : forConsent
        ? " while a party who joined was asked for consent"
        : " (no request through the calls API matches it)";
    events.push({
      kind: "paused",
      ...at(pause.startTime),
      ...who,
      text: `Recording paused for ${seconds} s${cause}`,
    });
    const end = new Date(from + pause.durationMs).toISOString();
    const resumedBy = requestFor("recording:resume", from + pause.durationMs);
    events.push({
      kind: "resumed",
      ...at(end),
      ...(resumedBy ? { who: resumedBy.actor } : {}),
      text: resumedBy ? "Recording resumed" : "Recording resumed (automatically, or by ACS)",
    });
  }
  const plays = Object.values(call?.announcements ?? {}).flatMap((play) =>
    play.requestedAt ? [{ ...play, requestedAt: play.requestedAt }] : [],
  );
  for (const play of plays) {
    const outcome = play.status ?? "asked of ACS, outcome not known";
    events.push({
      kind: "announcement",
      ...at(play.requestedAt),
      ...(play.to ? { who: play.to } : {}),
      ...(play.detail ? { reason: play.detail } : {}),
      text: play.to
        ? `Recording announcement to a joiner on their own leg: ${outcome}`
        : `Recording announcement to everyone: ${outcome}`,
    });
  }
  // The first play of a session from before plays were dated: known, but not when.
  const announcement = call?.announcements?.announce?.requestedAt ? undefined : call?.announcement;
  if (announcement) {
    const words = { requested: "asked of ACS, outcome not known", played: "played", failed: "failed" };
    events.push({
      kind: "announcement",
      at: null,
      audioMs: null,
      ...(announcement.detail ? { reason: announcement.detail } : {}),
      text: `Recording announcement ${words[announcement.status]} (time not recorded)`,
    });
  }
  if (facts.consent) {
    const { requirement, decidedBy } = facts.consent;
    const rule = `${decidedBy.set}, ${decidedBy.jurisdiction}`;
    for (const question of questions) {
      if (question.askedAt)
        events.push({
          kind: "consent-asked",
          ...at(question.askedAt),
          ...(question.party ? { who: question.party } : {}),
          reason: rule,
          text: requirement === "notice" ? "Recording notice announced" : "Asked for consent to record",
        });
      if (question.outcome && question.answeredAt)
        events.push({
          kind: "consent-answered",
          ...at(question.answeredAt),
          ...(question.party ? { who: question.party } : {}),
          ...(question.heard ? { reason: question.heard } : {}),
          text: ANSWER_WORDS[question.outcome as ConsentOutcome] ?? `Consent: ${question.outcome}`,
        });
    }
  }
  for (const action of facts.actions ?? []) {
    events.push({
      kind: "enforcement",
      ...at(action.at),
      reason: action.reason,
      text: `Enforcement: ${action.action} (${action.trigger})`,
    });
  }
  if (recording.endedBy) {
    const stop = recording.endedBy;
    events.push({
      kind: "stopped",
      ...at(stop.at),
      who: stop.by,
      reason: stop.reason,
      text:
        stop.trigger === "scope"
          ? "Recording stopped: nobody in scope left on the call"
          : "Recording stopped on request",
    });
  }
  const end = ms(recording.startTime) + recording.durationMs + facts.pauses.reduce((n, p) => n + p.durationMs, 0);
  events.push({
    kind: "recording-ended",
    at: new Date(end).toISOString(),
    audioMs: recording.durationMs,
    text: "Recording ended",
  });
  if (call?.endedAt) events.push({ kind: "call-ended", ...at(call.endedAt), text: "Call ended" });

  const rank = (e: TimelineEvent) => ORDER.indexOf(e.kind);
  return events
    .map((event, i) => ({ event, i }))
    .sort((a, b) => {
      const [x, y] = [a.event.at === null ? Infinity : ms(a.event.at), b.event.at === null ? Infinity : ms(b.event.at)];
      return x - y || rank(a.event) - rank(b.event) || a.i - b.i;
    })
    .map(({ event }) => event);
}
