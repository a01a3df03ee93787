import type { RedisClient } from "../redis/index.js";
import type { Decision } from "../policy/types.js";
import { markRecordingState } from "./active-recordings.js";

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
  /** IncomingCall was seen: the call exists and rings (it may never get a CallStarted, reference §5.4). */
  rang: boolean;
  started: boolean;
  ended: boolean;
  decision: Decision | undefined;
  callConnectionId: string | undefined;
  recordingId: string | undefined;
  recordingState: "active" | "inactive" | undefined;
  /** Incremented by every change of facts; a decision is stored only if computed from newer facts. */
  factsVersion: number;
  /** Times recording was restarted or resumed after stopping mid-call. */
  restarts: number;
  /** Set while recording is paused on purpose (PCI): such a pause is not a failure to enforce. */
  pause: PauseState | undefined;
  /** The recording announcement: asked of ACS, then played or failed (with ACS's reason). */
  announcement: { status: "requested" | "played" | "failed"; detail?: string } | undefined;
  /** When the webhook received the call's CallStarted (ISO 8601): where time-to-record is measured from. */
  startedSeenAt: string | undefined;
  /** When the webhook received the call's IncomingCall (ISO 8601): the start of time-to-record without CallStarted. */
  rangSeenAt: string | undefined;
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
  "connect" | "start-recording" | "ring-watch" | "enforce-start" | "announce" | "reject" | `decided:${string}`;

const SESSION_TTL_SECONDS = 7 * 24 * 3600;

const KEEP_EARLIEST = `
local current = tonumber(redis.call('HGET', KEYS[1], 'startedAtMs') or '')
if current == nil or tonumber(ARGV[1]) < current then
  redis.call('HSET', KEYS[1], 'startedAtMs', ARGV[1], 'startedAt', ARGV[2])
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
  /** Adds what an event tells of the call; returns the session as these facts leave it (read in the same transaction). */
  addFacts(
    serverCallId: string,
    facts: {
      correlationId?: string;
      participants?: string[];
      /** From IncomingCall: authoritative, overwrites a hint. */
      caller?: string;
      /** From CallStarted's startedBy, for calls with no IncomingCall: kept only if no caller is known. */
      callerHint?: string;
      callee?: string;
      startedAt?: string;
      rang?: boolean;
      started?: boolean;
      ended?: boolean;
      /** When the webhook received CallStarted / IncomingCall: the first one kept. */
      startedSeenAt?: string;
      rangSeenAt?: string;
    },
  ): Promise<CallSession>;
  /** Whether the call's session already counts this participant (raw id) among its participants. */
  knowsParticipant(serverCallId: string, participant: string): Promise<boolean>;
  /** The call's correlation and recording ids, for log lines (one small read). */
  logIds(serverCallId: string): Promise<{ correlationId?: string; recordingId?: string }>;
  /**
   * True for exactly one claimant per call and step (HSETNX). With an `owner`, that owner may claim the step again
   * (true again): how the redelivery of an event whose handling died after claiming finishes what it started.
   */
  claim(serverCallId: string, step: OnceStep, owner?: string): Promise<boolean>;
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
  /** Stores our call connection's id; returns the session as it is after that. */
  setConnection(serverCallId: string, callConnectionId: string): Promise<CallSession>;
  setAnnouncement(serverCallId: string, announcement: NonNullable<CallSession["announcement"]>): Promise<void>;
  /** Records a pause on purpose, or its end (undefined). */
  setPause(serverCallId: string, pause: PauseState | undefined): Promise<void>;
  /** Counts one more restart of the call's recording; returns the new count. */
  countRestart(serverCallId: string): Promise<number>;
  setRecording(serverCallId: string, recordingId: string, state?: "active" | "inactive"): Promise<void>;
}

/** A session from the replies of HGETALL on its hash and SMEMBERS on its participants, the last two of `replies`. */
function sessionOf(serverCallId: string, replies: [Error | null, unknown][] | null): CallSession {
  const [hashReply, participantsReply] = replies?.slice(-2) ?? [];
  const hash = (hashReply?.[1] ?? {}) as Record<string, string>;
  const participants = (participantsReply?.[1] ?? []) as string[];
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
    callConnectionId: hash.callConnectionId,
    recordingId: hash.recordingId,
    recordingState:
      hash.recordingState === "active" || hash.recordingState === "inactive" ? hash.recordingState : undefined,
    factsVersion: Number(hash.factsVersion ?? 0),
    restarts: Number(hash.restarts ?? 0),
    announcement: hash.announcement ? (JSON.parse(hash.announcement) as CallSession["announcement"]) : undefined,
    pause: hash.pause ? (JSON.parse(hash.pause) as PauseState) : undefined,
    startedSeenAt: hash.startedSeenAt,
    rangSeenAt: hash.rangSeenAt,
  };
}

/**
 * Keys are hash-tagged by call (`{serverCallId}`) so that a call's keys share one Redis Cluster slot.
 */
export function createRedisSessionStore(redis: RedisClient, prefix: string): SessionStore {
  const keys = (serverCallId: string) => {
    const base = `${prefix}:call:{${serverCallId}}`;
    return { hash: base, participants: `${base}:participants` };
  };
  const touch = (serverCallId: string) => {
    const k = keys(serverCallId);
    return redis.multi().expire(k.hash, SESSION_TTL_SECONDS).expire(k.participants, SESSION_TTL_SECONDS);
  };
  /** Ends a transaction with the session's read (HGETALL, SMEMBERS: what sessionOf parses) and runs it. */
  const readingSession = async (serverCallId: string, tx: ReturnType<RedisClient["multi"]>) => {
    const k = keys(serverCallId);
    return sessionOf(serverCallId, await tx.hgetall(k.hash).smembers(k.participants).exec());
  };
  const setFields = async (serverCallId: string, fields: Record<string, string>) => {
    await touch(serverCallId).hset(keys(serverCallId).hash, fields).exec();
  };

  return {
    async get(serverCallId) {
      // One transaction, so the facts and their version are read together.
      return readingSession(serverCallId, redis.multi());
    },
    async knowsParticipant(serverCallId, participant) {
      return (await redis.sismember(keys(serverCallId).participants, participant)) === 1;
    },
    async logIds(serverCallId) {
      const [correlationId, recordingId] = await redis.hmget(keys(serverCallId).hash, "correlationId", "recordingId");
      return { ...(correlationId ? { correlationId } : {}), ...(recordingId ? { recordingId } : {}) };
    },
    async addFacts(serverCallId, facts) {
      const k = keys(serverCallId);
      const fields: Record<string, string> = {};
      if (facts.correlationId) fields.correlationId = facts.correlationId;
      if (facts.caller) fields.caller = facts.caller;
      if (facts.callee) fields.callee = facts.callee;
      if (facts.rang) fields.rang = "1";
      if (facts.started) fields.started = "1";
      if (facts.ended) fields.ended = "1";
      const tx = redis.multi().hincrby(k.hash, "factsVersion", 1);
      if (Object.keys(fields).length > 0) tx.hset(k.hash, fields);
      if (facts.callerHint) tx.hsetnx(k.hash, "caller", facts.callerHint);
      if (facts.startedSeenAt) tx.hsetnx(k.hash, "startedSeenAt", facts.startedSeenAt);
      if (facts.rangSeenAt) tx.hsetnx(k.hash, "rangSeenAt", facts.rangSeenAt);
      // The earliest moment wins, whatever order the events are handled in.
      const startedAtMs = facts.startedAt ? Date.parse(facts.startedAt) : NaN;
      if (facts.startedAt && Number.isFinite(startedAtMs)) {
        tx.eval(KEEP_EARLIEST, 1, k.hash, String(startedAtMs), facts.startedAt);
      }
      if (facts.participants && facts.participants.length > 0) tx.sadd(k.participants, ...facts.participants);
      // The session as these facts leave it, read in the same transaction: the caller's next step needs it.
      const session = await readingSession(
        serverCallId,
        tx.expire(k.hash, SESSION_TTL_SECONDS).expire(k.participants, SESSION_TTL_SECONDS),
      );
      if (facts.ended) await markRecordingState(redis, prefix, serverCallId, "ended");
      return session;
    },
    setAnnouncement: (serverCallId, announcement) =>
      setFields(serverCallId, { announcement: JSON.stringify(announcement) }),
    async setPause(serverCallId, pause) {
      if (pause) await setFields(serverCallId, { pause: JSON.stringify(pause) });
      else await redis.hdel(keys(serverCallId).hash, "pause");
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
    setConnection: (serverCallId, callConnectionId) =>
      readingSession(serverCallId, touch(serverCallId).hset(keys(serverCallId).hash, { callConnectionId })),
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
    async setRecording(serverCallId, recordingId, state) {
      await setFields(serverCallId, { recordingId, ...(state ? { recordingState: state } : {}) });
      // A late "active" after the call's end (events come in any order) must not count it as recording.
      if (state === "inactive" || (state === "active" && (await redis.hget(keys(serverCallId).hash, "ended")) !== "1"))
        await markRecordingState(redis, prefix, serverCallId, state);
    },
  };
}
