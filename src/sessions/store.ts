import type { PresenceObservation } from "../calls/index.js";
import type { RedisClient } from "../redis/index.js";
import type { Decision } from "../policy/index.js";
import { markRecordingActive } from "./active-recordings.js";
import { factWritesOf, type FactUpdate } from "./facts.js";
import {
  callRecordingState,
  decideRecordingState,
  parseRecordingFacts,
  type RecordingDecision,
  type RecordingFacts,
  type RecordingUpdate,
} from "./recording-state.js";

/** What we know of one call. Built from events that may arrive in any order. */
export interface CallSession {
  serverCallId: string;
  correlationId: string | undefined;
  participants: string[];
  caller: string | undefined;
  callee: string | undefined;
  /** The earliest moment known of the call (ring or start), ISO 8601. */
  startedAt: string | undefined;
  /** The policy set that first decided this call: later decisions for it use the same set (reloads apply to new calls). */
  policySetHash: string | undefined;
  /** IncomingCall was seen: the call exists and rings (it may never get a CallStarted, docs/acs-payloads.md "Event Grid events"). */
  rang: boolean;
  started: boolean;
  ended: boolean;
  decision: Decision | undefined;
  /**
   * Our call connection, once connected: the id our own connect request returned (`ownConnectionId`), after its
   * CallConnected. Announcements, hang-ups and the start of recording use this one only.
   */
  callConnectionId: string | undefined;
  /** The callConnectionId our connect request returned (set before or after its CallConnected arrives). */
  ownConnectionId: string | undefined;
  /**
   * Every connection a CallConnected was seen for, ours or not: other apps' legs to the same call send theirs to
   * the same callback too. A fact, never adopted as ours.
   */
  connectedConnections: string[];
  /** The call's latest recording: the last one our start returned or a state event first told of. */
  recordingId: string | undefined;
  /** Active if any recording of the call is active (as decided by recording-state.ts), else inactive; undefined before any. */
  recordingState: "active" | "inactive" | undefined;
  /** Each recording of the call (a restart makes another), by recordingId. */
  recordings: Record<string, RecordingFacts>;
  /** Incremented by every change of a recording's facts and by the call's end: the recordings_active gauge follows it. */
  recordingVersion: number;
  /** Incremented by every change of facts; a decision is stored only if computed from newer facts. */
  factsVersion: number;
  /** Times recording was restarted or resumed after stopping mid-call. */
  restarts: number;
  /**
   * Set while recording is paused on purpose (PCI; or while a joiner is asked for consent, `by: "consent"`): such a
   * pause is not a failure to enforce.
   */
  pause: PauseState | undefined;
  /**
   * The call's `start-recording` step is claimed: its recording is on its way (or started). With no recordingId yet,
   * that is the start window, in which the consent gate waits to pause before asking (docs/consent-flow.md).
   */
  startClaimed?: boolean;
  /**
   * The highest generation of a new recording after a scope stop whose start is claimed (`start-recording:<n>`). Beyond
   * the scope stops so far, with the call's recording the one stopped by scope, that new recording is on its way: a
   * start window too (docs/consent-flow.md "A new recording after a stop by scope").
   */
  restartClaimed?: number;
  /** The recording announcement: asked of ACS, then played or failed (with ACS's reason). */
  announcement: { status: "requested" | "played" | "failed"; detail?: string } | undefined;
  /**
   * Every announcement play of the call by its step (docs/recording-control.md "Announce"): `announce` (the first
   * recording's, to everyone; its result is `announcement` above), `announce:<recordingId>` (a later recording's, to
   * everyone), `announce-to:<raw id>` (a joiner's, to them only). When it was asked of ACS (kept first) and what came
   * of it. Absent in sessions that never had one.
   */
  announcements?: Record<string, AnnouncementPlay>;
  /** When the webhook received the call's CallStarted (ISO 8601): where time-to-record is measured from. */
  startedSeenAt: string | undefined;
  /** When the webhook received the call's IncomingCall (ISO 8601): the start of time-to-record without CallStarted. */
  rangSeenAt: string | undefined;
  /**
   * Everything ACS said about who is on the call (src/calls/scope.ts), in no particular order: each event or
   * answer once, however often it was delivered.
   */
  presence: PresenceObservation[];
  /** Recordings stopped on purpose (scope or request), by recordingId: such a stop is no failure to enforce. */
  stops: Record<string, RecordingStop>;
  /** The consent or notice asked (JSON of consent.ts ConsentAsked, a keep-first fact); `consentOf` parses it. */
  consentAsked: string | undefined;
  /** What came of it (JSON of ConsentAnswer, a keep-first fact). */
  consentAnswer: string | undefined;
  /**
   * All-party consent: the ask and answer of each further party asked after the first (whose are `consentAsked` /
   * `consentAnswer`), by raw id, as JSON (keep-first, field by field). Absent in sessions that never had one.
   */
  consentParties?: Record<string, { asked?: string; answer?: string }>;
  /**
   * Our side only (docs/consent-flow.md): the parties whose audio must never be archived — they refused or did not
   * answer — by raw id, each with why and when it was put on record. Kept first per party (HSETNX), so the set only
   * grows. Absent in sessions that never had one.
   */
  unarchivedParties?: Record<string, UnarchivedParty>;
}

/** One announcement play: asked of ACS at `requestedAt` (our clock, kept first), then played or failed. */
export interface AnnouncementPlay {
  requestedAt?: string;
  /** The one participant (raw id) it was played to; absent: to everyone. */
  to?: string;
  status?: "played" | "failed";
  detail?: string;
}

/** A party whose channels are dropped at ingest (docs/consent-flow.md "Our side only"). */
export interface UnarchivedParty {
  /** The consent outcome that put them here: `refused`, `silent`, `failed`, or `not asked`. */
  why: string;
  at: string;
}

/**
 * A recording stopped on purpose, put on record before ACS is asked to stop it: `scope` when nobody the policy is
 * about remains on the call (`by` is then "scope"), `request` when a team operator asked (`by` names them).
 */
export interface RecordingStop {
  recordingId: string;
  trigger: "scope" | "request";
  by: string;
  reason: string;
  at: string;
}

export interface PauseState {
  at: string;
  by: string;
  reason: string;
}

/**
 * Steps that must happen at most once per call, whatever the number of replicas and redeliveries
 * (`decided:<outcome>`: the call is counted once per decision outcome in the metrics).
 */
export type OnceStep =
  | "connect"
  | "start-recording"
  | "ring-watch"
  | "enforce-start"
  /** Acting on a failed start (StartRecordingFailed or the deadline that finds it), once. */
  | "enforce-start-failure"
  | "announce"
  /** Announcing a later recording of the call (after a stop by scope) to everyone, once per recording. */
  | `announce:${string}`
  /** Announcing the recording to one party (raw id) who was not on the call when it was announced, once per party. */
  | `announce-to:${string}`
  | "reject"
  | `decided:${string}`
  /** Stopping one recording (by its recordingId), whoever asks: scope or a request. */
  | `stop-recording:${string}`
  /** Starting the call's n-th recording (n ≥ 2) after a stop by scope: the first one is `start-recording`. */
  | `start-recording:${number}`
  /** Asking ACS for the participant list, once per number of presence observations known. */
  | `confirm-presence:${number}`
  /** Asking the deciding party for consent (play the prompt, recognize the answer), once per call. */
  | "ask-consent"
  /** Asking a further party of an all-party consent (by raw id), once per party. */
  | `ask-consent:${string}`
  /** Acting on a refusal or silence as the policy says (end the call, or put why nothing is recorded on record). */
  | "consent-fallback"
  /** Pausing the recording before a party (raw id) who joined once it had started is asked, once per party. */
  | `consent-pause:${string}`
  /** Resuming a recording paused for consent once everyone has consented, once per pause (its `at`). */
  | `consent-resume:${string}`;

const SESSION_TTL_SECONDS = 7 * 24 * 3600;

/** A `keep-earliest` fact (ARGV: its field, its moment in ms, its value): `<field>Ms` keeps the moment compared. */
const KEEP_EARLIEST = `
local current = tonumber(redis.call('HGET', KEYS[1], ARGV[1] .. 'Ms') or '')
if current == nil or tonumber(ARGV[2]) < current then
  redis.call('HSET', KEYS[1], ARGV[1] .. 'Ms', ARGV[2], ARGV[1], ARGV[3])
end
return 1`;

/** Writes the decision only when it was computed from facts at least as new as the stored one's. */
const SET_IF_NEWER = `
local stored = tonumber(redis.call('HGET', KEYS[1], 'decisionVersion') or '-1')
if tonumber(ARGV[1]) < stored then return 0 end
redis.call('HSET', KEYS[1], 'decision', ARGV[2], 'decisionVersion', ARGV[1])
return 1`;

export interface SessionStore {
  get(serverCallId: string): Promise<CallSession>;
  /**
   * Adds what an event tells of the call, each fact by its rule (facts.ts FACT_RULES); returns the session as
   * these facts leave it (read in the same transaction).
   */
  addFacts(serverCallId: string, facts: FactUpdate): Promise<CallSession>;
  /**
   * The consent ask and/or answer of a further party of an all-party consent (after the first), each kept first
   * (HSETNX, as `consentAsked` / `consentAnswer`): the session as they leave it.
   */
  addPartyConsent(
    serverCallId: string,
    party: string,
    facts: { asked?: string; answer?: string },
  ): Promise<CallSession>;
  /**
   * Whether the call's session already counts this participant (raw id) among its participants and has never seen
   * them leave: their join would then tell nothing new. A join after a leave is news (scope follows presence).
   */
  knowsParticipant(serverCallId: string, participant: string): Promise<boolean>;
  /** The call's correlation and recording ids, for log lines (one small read). */
  logIds(serverCallId: string): Promise<{ correlationId?: string; recordingId?: string }>;
  /**
   * True for exactly one claimant per call and step (HSETNX). With an `owner`, that owner may claim the step again
   * (true again): how the redelivery of an event whose handling died after claiming finishes what it started.
   */
  claim(serverCallId: string, step: OnceStep, owner?: string): Promise<boolean>;
  /**
   * Adds parties to the call's our-side-only strip set (keep-first per party: a redelivery changes nothing); returns
   * the session as they leave it.
   */
  addUnarchivedParties(serverCallId: string, parties: Record<string, UnarchivedParty>): Promise<CallSession>;
  /** Gives a claimed step back, when the attempt could not happen yet and someone else may do it sooner. */
  release(serverCallId: string, step: OnceStep): Promise<void>;
  /**
   * In one transaction (one round trip, on the call's slot): pins the call to a policy set if asked, unless it is
   * already pinned (a call keeps the set that first decided it); stores the decision computed from the facts of
   * `factsVersion`, unless one from newer facts is stored (compare-and-set); and claims every step for `owner`
   * (as claim with an owner). Returns the steps `owner` holds: what it may now do. A `tally` step is claimed with
   * no owner (as claim without one): it is in the result only for the one settlement that set it first.
   */
  settle(
    serverCallId: string,
    settlement: {
      decision: Decision;
      factsVersion: number;
      pinPolicySet?: string;
      claims: OnceStep[];
      owner: string;
      tally?: OnceStep;
    },
  ): Promise<Set<OnceStep>>;
  /** Our connect request returned this connection: it is ours. Returns the session as it is after that. */
  setOwnConnection(serverCallId: string, callConnectionId: string): Promise<CallSession>;
  /**
   * A CallConnected of this connection, ours or another party's: recorded as a fact (it becomes our
   * `callConnectionId` only if our connect returned it). Returns the session as it is after that.
   */
  noteConnected(serverCallId: string, callConnectionId: string): Promise<CallSession>;
  setAnnouncement(serverCallId: string, announcement: NonNullable<CallSession["announcement"]>): Promise<void>;
  /**
   * The first announcement was asked of ACS: `requested`, unless its result is already there — ACS's PlayCompleted
   * can be folded in before the job that asked gets to write this (HSETNX: never over a result).
   */
  noteAnnouncementAsked(serverCallId: string): Promise<void>;
  /** An announcement play is about to be asked of ACS (kept first: a retry keeps the first moment). */
  noteAnnouncementRequested(
    serverCallId: string,
    step: string,
    play: { requestedAt: string; to?: string },
  ): Promise<void>;
  /** What ACS said of an announcement play (PlayCompleted / PlayFailed): the latest result is kept. */
  setAnnouncementResult(
    serverCallId: string,
    step: string,
    result: { status: "played" | "failed"; detail?: string },
  ): Promise<void>;
  /** Records a pause on purpose, or its end (undefined). */
  setPause(serverCallId: string, pause: PauseState | undefined): Promise<void>;
  /**
   * Keeps one thing ACS said about presence, under its own key (an event's id: a redelivery keeps it once).
   * Returns the session as it is after that (read in the same transaction).
   */
  addPresence(serverCallId: string, key: string, observation: PresenceObservation): Promise<CallSession>;
  /**
   * Puts a stop on purpose on record, before ACS is asked (the first one of a recording stays). True if this
   * call wrote it.
   */
  recordStop(serverCallId: string, stop: RecordingStop): Promise<boolean>;
  /** Takes a stop off the record again: ACS refused it, so the recording goes on. */
  forgetStop(serverCallId: string, recordingId: string): Promise<void>;
  /** Counts one more restart of the call's recording; returns the new count. */
  countRestart(serverCallId: string): Promise<number>;
  /**
   * Folds what was learnt of one recording in — our start's answer, a state event, ACS's answer to getState,
   * StartRecordingFailed — as recording-state.ts decides, by compare-and-set (concurrent workers agree), and
   * brings the recordings_active gauge in line. Returns the decision and the session after it.
   */
  updateRecording(
    serverCallId: string,
    recordingId: string,
    update: RecordingUpdate,
  ): Promise<{ outcome: RecordingDecision; session: CallSession }>;
}

/** The highest `start-recording:<n>` claimed in a session's hash (a new recording after a scope stop), if any. */
function restartClaimedOf(hash: Record<string, string>): { restartClaimed?: number } {
  const generations = Object.keys(hash).flatMap((field) => {
    const match = /^once:start-recording:(\d+)$/.exec(field);
    return match ? [Number(match[1])] : [];
  });
  return generations.length > 0 ? { restartClaimed: Math.max(...generations) } : {};
}

/**
 * A session from the replies of HGETALL on its hash, SMEMBERS on its participants and its connected connections,
 * HGETALL on its recordings and on its presence observations: the last five of `replies`.
 */
function sessionOf(serverCallId: string, replies: [Error | null, unknown][] | null): CallSession {
  const [hashReply, participantsReply, connectedReply, recordingsReply, presenceReply] = replies?.slice(-5) ?? [];
  const hash = (hashReply?.[1] ?? {}) as Record<string, string>;
  const participants = (participantsReply?.[1] ?? []) as string[];
  const connected = ((connectedReply?.[1] ?? []) as string[]).sort();
  const recordings: Record<string, RecordingFacts> = {};
  for (const [recordingId, raw] of Object.entries((recordingsReply?.[1] ?? {}) as Record<string, string>)) {
    const facts = parseRecordingFacts(raw);
    if (facts) recordings[recordingId] = facts;
  }
  const own = hash.ownConnectionId;
  // Sessions written before connections were told apart kept one `callConnectionId`: honoured while no own id is known.
  const legacyConnection = own ? undefined : hash.callConnectionId;
  const legacyState =
    hash.recordingState === "active" || hash.recordingState === "inactive" ? hash.recordingState : undefined;
  return {
    serverCallId,
    correlationId: hash.correlationId,
    participants: participants.sort(),
    caller: hash.caller,
    callee: hash.callee,
    startedAt: hash.startedAt,
    policySetHash: hash.policySetHash,
    rang: hash.rang === "1",
    started: hash.started === "1",
    ended: hash.ended === "1",
    decision: hash.decision ? (JSON.parse(hash.decision) as Decision) : undefined,
    callConnectionId: own && connected.includes(own) ? own : legacyConnection,
    ownConnectionId: own ?? legacyConnection,
    connectedConnections: connected,
    recordingId: hash.recordingId,
    recordingState: callRecordingState(recordings) ?? legacyState,
    recordings,
    recordingVersion: Number(hash.recordingVersion ?? 0),
    factsVersion: Number(hash.factsVersion ?? 0),
    restarts: Number(hash.restarts ?? 0),
    announcement: hash.announcement ? (JSON.parse(hash.announcement) as CallSession["announcement"]) : undefined,
    pause: hash.pause ? (JSON.parse(hash.pause) as PauseState) : undefined,
    ...(hash["once:start-recording"] !== undefined ? { startClaimed: true } : {}),
    ...restartClaimedOf(hash),
    startedSeenAt: hash.startedSeenAt,
    rangSeenAt: hash.rangSeenAt,
    presence: Object.values((presenceReply?.[1] ?? {}) as Record<string, string>).map(
      (raw) => JSON.parse(raw) as PresenceObservation,
    ),
    consentAsked: hash.consentAsked,
    consentAnswer: hash.consentAnswer,
    ...partyConsentOf(hash),
    ...unarchivedPartiesOf(hash),
    ...announcementsOf(hash),
    stops: Object.fromEntries(
      fieldsUnder(hash, STOP_FIELD).map(([recordingId, raw]) => [recordingId, JSON.parse(raw) as RecordingStop]),
    ),
  };
}

/** The call hash's fields of a further party's consent ask and answer (all-party consent): read with the hash. */
const PARTY_ASKED_FIELD = "consentAsked:";
const PARTY_ANSWER_FIELD = "consentAnswer:";

/** The fields of a call's hash under `prefix`: [the rest of the field's name (a party, a step, …), its value]. */
function fieldsUnder(hash: Record<string, string>, prefix: string): [string, string][] {
  return Object.entries(hash).flatMap(([field, raw]) =>
    field.startsWith(prefix) ? [[field.slice(prefix.length), raw] as [string, string]] : [],
  );
}

function partyConsentOf(hash: Record<string, string>): Pick<CallSession, "consentParties"> {
  const parties: Record<string, { asked?: string; answer?: string }> = {};
  for (const [party, asked] of fieldsUnder(hash, PARTY_ASKED_FIELD)) parties[party] = { ...parties[party], asked };
  for (const [party, answer] of fieldsUnder(hash, PARTY_ANSWER_FIELD)) parties[party] = { ...parties[party], answer };
  return Object.keys(parties).length > 0 ? { consentParties: parties } : {};
}

/** The call hash's fields of the parties whose audio is never archived (our side only): read with the hash. */
const UNARCHIVED_FIELD = "unarchived:";

function unarchivedPartiesOf(hash: Record<string, string>): Pick<CallSession, "unarchivedParties"> {
  const parties = fieldsUnder(hash, UNARCHIVED_FIELD).map(
    ([party, raw]) => [party, JSON.parse(raw) as UnarchivedParty] as const,
  );
  return parties.length > 0 ? { unarchivedParties: Object.fromEntries(parties) } : {};
}

/** The call hash's fields of each announcement play: when it was asked (with whom for), and what came of it. */
const ANNOUNCE_ASKED_FIELD = "announceAsked:";
const ANNOUNCE_RESULT_FIELD = "announceResult:";

function announcementsOf(hash: Record<string, string>): Pick<CallSession, "announcements"> {
  const plays: Record<string, AnnouncementPlay> = {};
  for (const [step, raw] of [...fieldsUnder(hash, ANNOUNCE_ASKED_FIELD), ...fieldsUnder(hash, ANNOUNCE_RESULT_FIELD)])
    plays[step] = { ...plays[step], ...(JSON.parse(raw) as AnnouncementPlay) };
  // The first recording's result is kept where it always was (`announcement`).
  const first = hash.announcement ? (JSON.parse(hash.announcement) as CallSession["announcement"]) : undefined;
  if (plays.announce && (first?.status === "played" || first?.status === "failed"))
    plays.announce = { ...plays.announce, status: first.status, ...(first.detail ? { detail: first.detail } : {}) };
  return Object.keys(plays).length > 0 ? { announcements: plays } : {};
}

/** The call hash's field of a recording's stop on purpose: read with the hash, no extra command. */
const STOP_FIELD = "stop:";

/**
 * Compare-and-set of one recording's facts: written only if they are still what the decision was made from
 * (KEYS: the call's hash, its recordings hash; ARGV: recordingId, the facts read ('' for none), the facts to
 * write, '1' if this recording is new to us (it becomes the call's latest), the TTL). Every change counts in
 * `recordingVersion`. Returns 0 when another worker changed them first: decide again from what it wrote.
 */
const SET_RECORDING_IF_UNCHANGED = `
local held = redis.call('HGET', KEYS[2], ARGV[1])
if (held or '') ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
if ARGV[4] == '1' then redis.call('HSET', KEYS[1], 'recordingId', ARGV[1]) end
redis.call('HINCRBY', KEYS[1], 'recordingVersion', 1)
redis.call('EXPIRE', KEYS[1], ARGV[5])
redis.call('EXPIRE', KEYS[2], ARGV[5])
return 1`;

/** Attempts of a compare-and-set before giving up (each loses only to another worker's successful write). */
const CAS_ATTEMPTS = 20;

/**
 * Keys are hash-tagged by call (`{serverCallId}`) so that a call's keys share one Redis Cluster slot.
 */
export function createRedisSessionStore(redis: RedisClient, prefix: string): SessionStore {
  const keys = (serverCallId: string) => {
    const base = `${prefix}:call:{${serverCallId}}`;
    return {
      hash: base,
      participants: `${base}:participants`,
      connected: `${base}:connected`,
      recordings: `${base}:recordings`,
      presence: `${base}:presence`,
      /** Whoever an Event Grid event said left, once: their next CallParticipantAdded is news (knowsParticipant). */
      departed: `${base}:departed`,
    };
  };
  /**
   * Keeps the call's keys `written` for SESSION_TTL_SECONDS from now: after their writes in the transaction (an
   * EXPIRE before a key exists does nothing). Only the keys written: every key of a session gets its TTL when it is
   * written (the hash and participants again with every fact), so none lives on without one; renewing all five on
   * each write cost four EXPIREs per connect and presence event and bought nothing (a call ends long before 7 days).
   */
  const expiring = (
    tx: ReturnType<RedisClient["multi"]>,
    serverCallId: string,
    ...written: (keyof ReturnType<typeof keys>)[]
  ) => {
    const k = keys(serverCallId);
    for (const key of written) tx.expire(k[key], SESSION_TTL_SECONDS);
    return tx;
  };
  /** Ends a transaction with the session's read (what sessionOf parses) and runs it. */
  const readingSession = async (serverCallId: string, tx: ReturnType<RedisClient["multi"]>) => {
    const k = keys(serverCallId);
    return sessionOf(
      serverCallId,
      await tx
        .hgetall(k.hash)
        .smembers(k.participants)
        .smembers(k.connected)
        .hgetall(k.recordings)
        .hgetall(k.presence)
        .exec(),
    );
  };
  /**
   * Brings the recordings_active gauge in line with the session: the call counts while a recording of it is
   * active and it has not ended. The gauge's key is outside the call's slot (written apart), so a writer that
   * finds `recordingVersion` moved on while it wrote writes again: the last write is from the newest facts.
   */
  const syncActiveGauge = async (serverCallId: string, read?: CallSession): Promise<CallSession> => {
    let session = read ?? (await readingSession(serverCallId, redis.multi()));
    for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
      await markRecordingActive(redis, prefix, serverCallId, session.recordingState === "active" && !session.ended);
      const version = Number((await redis.hget(keys(serverCallId).hash, "recordingVersion")) ?? 0);
      if (version === session.recordingVersion) return session;
      session = await readingSession(serverCallId, redis.multi());
    }
    return session;
  };
  const setFields = async (serverCallId: string, fields: Record<string, string>) => {
    await expiring(redis.multi().hset(keys(serverCallId).hash, fields), serverCallId, "hash").exec();
  };

  return {
    async get(serverCallId) {
      // One transaction, so the facts and their version are read together.
      return readingSession(serverCallId, redis.multi());
    },
    async knowsParticipant(serverCallId, participant) {
      const k = keys(serverCallId);
      const [known, departed] = (await redis
        .multi()
        .sismember(k.participants, participant)
        .sismember(k.departed, participant)
        .exec()) ?? [
        [null, 0],
        [null, 0],
      ];
      return known?.[1] === 1 && departed?.[1] !== 1;
    },
    async logIds(serverCallId) {
      const [correlationId, recordingId] = await redis.hmget(keys(serverCallId).hash, "correlationId", "recordingId");
      return { ...(correlationId ? { correlationId } : {}), ...(recordingId ? { recordingId } : {}) };
    },
    async addFacts(serverCallId, facts) {
      const k = keys(serverCallId);
      const writes = factWritesOf(facts);
      const tx = redis.multi().hincrby(k.hash, "factsVersion", 1);
      if (Object.keys(writes.set).length > 0) tx.hset(k.hash, writes.set);
      for (const [field, value] of writes.ifAbsent) tx.hsetnx(k.hash, field, value);
      // The earliest moment wins, whatever order the events are handled in.
      for (const { field, ms, value } of writes.ifEarlier) tx.eval(KEEP_EARLIEST, 1, k.hash, field, String(ms), value);
      for (const { set, members } of writes.add) tx.sadd(k[set], ...members);
      // The end takes the call out of the recordings_active gauge: a change the gauge follows.
      if (facts.ended) tx.hincrby(k.hash, "recordingVersion", 1);
      // The session as these facts leave it, read in the same transaction: the caller's next step needs it.
      const session = await readingSession(
        serverCallId,
        tx.expire(k.hash, SESSION_TTL_SECONDS).expire(k.participants, SESSION_TTL_SECONDS),
      );
      return facts.ended ? syncActiveGauge(serverCallId, session) : session;
    },
    async addPartyConsent(serverCallId, party, facts) {
      const k = keys(serverCallId);
      const tx = redis.multi().hincrby(k.hash, "factsVersion", 1);
      if (facts.asked) tx.hsetnx(k.hash, `${PARTY_ASKED_FIELD}${party}`, facts.asked);
      if (facts.answer) tx.hsetnx(k.hash, `${PARTY_ANSWER_FIELD}${party}`, facts.answer);
      return readingSession(serverCallId, tx.expire(k.hash, SESSION_TTL_SECONDS));
    },
    async addUnarchivedParties(serverCallId, parties) {
      const k = keys(serverCallId);
      const tx = redis.multi().hincrby(k.hash, "factsVersion", 1);
      for (const [party, entry] of Object.entries(parties))
        tx.hsetnx(k.hash, `${UNARCHIVED_FIELD}${party}`, JSON.stringify(entry));
      return readingSession(serverCallId, tx.expire(k.hash, SESSION_TTL_SECONDS));
    },
    setAnnouncement: (serverCallId, announcement) =>
      setFields(serverCallId, { announcement: JSON.stringify(announcement) }),
    async noteAnnouncementAsked(serverCallId) {
      const requested: CallSession["announcement"] = { status: "requested" };
      await expiring(
        redis.multi().hsetnx(keys(serverCallId).hash, "announcement", JSON.stringify(requested)),
        serverCallId,
        "hash",
      ).exec();
    },
    async noteAnnouncementRequested(serverCallId, step, play) {
      const field = `${ANNOUNCE_ASKED_FIELD}${step}`;
      await expiring(
        redis.multi().hsetnx(keys(serverCallId).hash, field, JSON.stringify(play)),
        serverCallId,
        "hash",
      ).exec();
    },
    setAnnouncementResult: (serverCallId, step, result) =>
      setFields(serverCallId, { [`${ANNOUNCE_RESULT_FIELD}${step}`]: JSON.stringify(result) }),
    async setPause(serverCallId, pause) {
      if (pause) await setFields(serverCallId, { pause: JSON.stringify(pause) });
      else await redis.hdel(keys(serverCallId).hash, "pause");
    },
    addPresence(serverCallId, key, observation) {
      const k = keys(serverCallId);
      const departed = observation.source === "event-grid" && observation.change === "left";
      const tx = redis.multi().hset(k.presence, key, JSON.stringify(observation));
      if (departed) tx.sadd(k.departed, observation.participant);
      return readingSession(
        serverCallId,
        expiring(tx, serverCallId, "presence", ...(departed ? (["departed"] as const) : [])),
      );
    },
    async recordStop(serverCallId, stop) {
      const written = await redis.hsetnx(
        keys(serverCallId).hash,
        `${STOP_FIELD}${stop.recordingId}`,
        JSON.stringify(stop),
      );
      return written === 1;
    },
    async forgetStop(serverCallId, recordingId) {
      await redis.hdel(keys(serverCallId).hash, `${STOP_FIELD}${recordingId}`);
    },
    async countRestart(serverCallId) {
      return redis.hincrby(keys(serverCallId).hash, "restarts", 1);
    },
    async release(serverCallId, step) {
      await redis.hdel(keys(serverCallId).hash, `once:${step}`);
    },
    async claim(serverCallId, step, owner) {
      const key = keys(serverCallId).hash;
      const field = `once:${step}`;
      if ((await redis.hsetnx(key, field, owner ?? new Date().toISOString())) === 1) return true;
      return owner !== undefined && (await redis.hget(key, field)) === owner;
    },
    setOwnConnection: (serverCallId, callConnectionId) =>
      readingSession(
        serverCallId,
        expiring(
          redis.multi().hset(keys(serverCallId).hash, { ownConnectionId: callConnectionId }),
          serverCallId,
          "hash",
        ),
      ),
    noteConnected: (serverCallId, callConnectionId) =>
      readingSession(
        serverCallId,
        expiring(redis.multi().sadd(keys(serverCallId).connected, callConnectionId), serverCallId, "connected"),
      ),
    async settle(serverCallId, { decision, factsVersion, pinPolicySet, claims, owner, tally }) {
      const key = keys(serverCallId).hash;
      const tx = redis.multi();
      if (pinPolicySet) tx.hsetnx(key, "policySetHash", pinPolicySet);
      tx.eval(SET_IF_NEWER, 1, key, String(factsVersion), JSON.stringify(decision));
      if (tally) tx.hsetnx(key, `once:${tally}`, new Date().toISOString());
      // HSETNX then HGET: the step is ours if it holds our name afterwards (just set, or set by an earlier
      // delivery of the same event).
      for (const step of claims) tx.hsetnx(key, `once:${step}`, owner).hget(key, `once:${step}`);
      const replies = (await tx.exec()) ?? [];
      const firstClaim = replies.length - claims.length * 2;
      const held = new Set(claims.filter((_, i) => replies[firstClaim + 2 * i + 1]?.[1] === owner));
      if (tally && replies[firstClaim - 1]?.[1] === 1) held.add(tally);
      return held;
    },
    async updateRecording(serverCallId, recordingId, update) {
      const k = keys(serverCallId);
      for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
        const held = await redis.hget(k.recordings, recordingId);
        const outcome = decideRecordingState(parseRecordingFacts(held), update);
        if (!outcome.changed) return { outcome, session: await syncActiveGauge(serverCallId) };
        const written = await redis.eval(
          SET_RECORDING_IF_UNCHANGED,
          2,
          k.hash,
          k.recordings,
          recordingId,
          held ?? "",
          JSON.stringify(outcome.next),
          held ? "0" : "1",
          String(SESSION_TTL_SECONDS),
        );
        if (written === 1) return { outcome, session: await syncActiveGauge(serverCallId) };
      }
      throw new Error(
        `recording ${recordingId} of ${serverCallId}: facts kept changing under ${CAS_ATTEMPTS} attempts`,
      );
    },
  };
}
