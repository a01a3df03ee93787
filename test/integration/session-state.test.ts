// The session store's recording state and connections on real Redis (one server and a Cluster): decided by event
// time and ACS's answers, written by compare-and-set, with the recordings_active gauge following.
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { deleteKeysMatching } from "../../scripts/local-stack/services.js";
import type { PresenceObservation } from "../../src/calls/index.js";
import type { RedisClient } from "../../src/redis/index.js";
import { countActiveRecordings } from "../../src/sessions/active-recordings.js";
import { createRedisSessionStore, type SessionStore } from "../../src/sessions/index.js";
import type { RecordingUpdate } from "../../src/sessions/recording-state.js";
import { serverCallIdLike } from "../support/acs-ids.js";
import { connectTarget, redisTargets } from "../support/redis-targets.js";

const T = 1_800_000_000_000_000; // µs
const event = (state: "active" | "inactive", at: number, initial = false): RecordingUpdate => ({
  kind: "event",
  state,
  at,
  initial,
});
/** A real serverCallId's shape: padded base64 with '/', '+' and '='. */
const callId = serverCallIdLike;

describe.each(redisTargets)("session state on %s", (_label, target) => {
  let redis: RedisClient;
  const prefixes: string[] = [];
  beforeAll(() => {
    redis = connectTarget(target);
  });
  afterAll(async () => {
    for (const prefix of prefixes) await deleteKeysMatching(redis, `${prefix}:*`);
    redis.disconnect();
  });
  /** A store on a key space of its own, so the gauge counts this test's calls only. */
  function fresh(): { sessions: SessionStore; gauge: () => Promise<number> } {
    const prefix = `${inject("runId")}:${randomBytes(4).toString("hex")}`;
    prefixes.push(prefix);
    return { sessions: createRedisSessionStore(redis, prefix), gauge: () => countActiveRecordings(redis, prefix) };
  }

  it("the recorded session's two state events, in either order: active, counted once", async () => {
    const { sessions, gauge } = fresh();
    const inOrder = callId("in-order");
    const swapped = callId("swapped");
    const placeholder = event("inactive", T - 78_000, true);
    const active = event("active", T);
    await sessions.updateRecording(inOrder, "rec-1", placeholder);
    await sessions.updateRecording(inOrder, "rec-1", active);
    await sessions.updateRecording(swapped, "rec-1", active);
    const { outcome, session } = await sessions.updateRecording(swapped, "rec-1", placeholder);
    expect(outcome).toMatchObject({ changed: false, stale: true, conflict: false });
    expect(session).toMatchObject({ recordingState: "active", recordingId: "rec-1" });
    expect(await sessions.get(inOrder)).toMatchObject({ recordingState: "active" });
    expect(await gauge()).toBe(2);
  });

  it("a stale real inactive after active does not win; ACS's answer repairs state and gauge either way", async () => {
    const { sessions, gauge } = fresh();
    const call = callId("stale");
    await sessions.updateRecording(call, "rec-1", event("active", T));
    const stale = await sessions.updateRecording(call, "rec-1", event("inactive", T - 10));
    expect(stale.outcome).toMatchObject({ changed: false, conflict: true });
    expect(stale.session.recordingState).toBe("active");
    expect(await gauge()).toBe(1);
    // Events that left it inactive (a newer inactive), while ACS says active: ACS wins.
    await sessions.updateRecording(call, "rec-1", event("inactive", T + 10));
    expect(await gauge()).toBe(0);
    const repaired = await sessions.updateRecording(call, "rec-1", { kind: "acs", state: "active", at: T + 20 });
    expect(repaired.session).toMatchObject({ recordingState: "active", recordings: { "rec-1": { source: "acs" } } });
    expect(await gauge()).toBe(1);
    // An ACS answer that changes nothing still brings a gauge that went astray back in line.
    await redis.zrem(`${prefixes.at(-1)}:recordings:active`, call);
    await sessions.updateRecording(call, "rec-1", { kind: "acs", state: "active", at: T + 20 });
    expect(await gauge()).toBe(1);
  });

  it("the end of the call takes it out of the gauge; a late active does not put it back", async () => {
    const { sessions, gauge } = fresh();
    const call = callId("ended");
    await sessions.updateRecording(call, "rec-1", event("active", T));
    expect(await gauge()).toBe(1);
    await sessions.addFacts(call, { ended: true });
    expect(await gauge()).toBe(0);
    await sessions.updateRecording(call, "rec-1", event("active", T + 50));
    expect(await gauge()).toBe(0);
  });

  it("two recordings of one call (a restart): each has its own state; the call records while either does", async () => {
    const { sessions, gauge } = fresh();
    const call = callId("restart");
    await sessions.updateRecording(call, "rec-1", { kind: "started" });
    await sessions.updateRecording(call, "rec-1", event("active", T));
    await sessions.updateRecording(call, "rec-1", event("inactive", T + 100));
    await sessions.updateRecording(call, "rec-2", { kind: "started" });
    let session = await sessions.get(call);
    expect(session).toMatchObject({ recordingId: "rec-2", recordingState: "inactive" });
    await sessions.updateRecording(call, "rec-2", event("active", T + 200));
    // A late event of the first recording neither changes the second nor makes the first the latest.
    await sessions.updateRecording(call, "rec-1", event("active", T + 50));
    session = await sessions.get(call);
    expect(session.recordings).toMatchObject({
      "rec-1": { state: "inactive", at: T + 100 },
      "rec-2": { state: "active", at: T + 200 },
    });
    expect(session).toMatchObject({ recordingId: "rec-2", recordingState: "active" });
    expect(await gauge()).toBe(1);
  });

  it("concurrent workers folding one recording's events in every order agree on the newest, and the gauge with them", async () => {
    const { sessions, gauge } = fresh();
    const calls = Array.from({ length: 8 }, (_, i) => callId(`race-${i}`));
    for (const [i, call] of calls.entries()) {
      // Twelve events, alternating states; the newest is active for even calls, inactive for odd ones.
      const events = Array.from({ length: 12 }, (_, n) =>
        event((n + i) % 2 === 0 ? "inactive" : "active", T + n * 1000 + (n === 0 ? 0 : 1)),
      );
      events.unshift(event("inactive", T - 1, true));
      const shuffled = [...events].sort(() => Math.random() - 0.5);
      await Promise.all(shuffled.map((update) => sessions.updateRecording(call, "rec-1", update)));
    }
    for (const [i, call] of calls.entries()) {
      const newest = (11 + i) % 2 === 0 ? "inactive" : "active";
      expect((await sessions.get(call)).recordings["rec-1"]).toMatchObject({ state: newest, at: T + 11_001 });
    }
    expect(await gauge()).toBe(calls.filter((_, i) => (11 + i) % 2 !== 0).length);
  });

  it("concurrent end and activation: whatever the interleaving, an ended call is not counted", async () => {
    const { sessions, gauge } = fresh();
    const calls = Array.from({ length: 10 }, (_, i) => callId(`end-race-${i}`));
    await Promise.all(
      calls.map((call) =>
        Promise.all([
          sessions.updateRecording(call, "rec-1", event("active", T)),
          sessions.addFacts(call, { ended: true }),
          sessions.updateRecording(call, "rec-1", { kind: "acs", state: "active", at: T + 5 }),
        ]),
      ),
    );
    expect(await gauge()).toBe(0);
  });

  it("a gauge write from facts that moved on meanwhile is written again from the newest", async () => {
    const { sessions, gauge } = fresh();
    const prefix = prefixes.at(-1)!;
    const call = callId("moved-on");
    // Worker A has read the session (recording active) and is about to count the call, when worker B ends the call
    // and uncounts it: A's write, from older facts, lands last.
    let interposed = false;
    const slowRedis = new Proxy(redis, {
      get(target, property, receiver) {
        const value = Reflect.get(target, property, receiver) as unknown;
        if (property !== "zadd" || typeof value !== "function") return value;
        return async (...args: unknown[]) => {
          if (!interposed) {
            interposed = true;
            await sessions.addFacts(call, { ended: true });
            expect(await gauge()).toBe(0);
          }
          return (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        };
      },
    });
    const workerA = createRedisSessionStore(slowRedis, prefix);
    await workerA.updateRecording(call, "rec-1", event("active", T));
    expect(interposed).toBe(true);
    expect(await gauge()).toBe(0);
  });

  it("our connection is the one our connect returned, whichever CallConnected comes last", async () => {
    const { sessions } = fresh();
    const call = callId("legs");
    // Our CallConnected before our connect's answer was stored: not yet known as ours.
    expect(await sessions.noteConnected(call, "ours")).toMatchObject({
      callConnectionId: undefined,
      ownConnectionId: undefined,
    });
    expect(await sessions.setOwnConnection(call, "ours")).toMatchObject({ callConnectionId: "ours" });
    // Another party's leg connects afterwards: a fact, never ours.
    expect(await sessions.noteConnected(call, "theirs")).toMatchObject({
      callConnectionId: "ours",
      ownConnectionId: "ours",
      connectedConnections: ["ours", "theirs"],
    });
    // Our answer stored first, its CallConnected later, another leg's in between.
    const other = callId("legs-2");
    await sessions.setOwnConnection(other, "ours-2");
    expect((await sessions.noteConnected(other, "theirs-2")).callConnectionId).toBeUndefined();
    expect((await sessions.noteConnected(other, "ours-2")).callConnectionId).toBe("ours-2");
  });

  it("presence: each observation kept once under its key and read with the session; a leave makes the next join news", async () => {
    const { sessions } = fresh();
    const call = callId("presence");
    const trader = "8:acs:r_trader";
    await sessions.addFacts(call, { participants: [trader, "4:+442079460001"] });
    expect(await sessions.knowsParticipant(call, trader)).toBe(true);
    const left = { source: "event-grid", change: "left", participant: trader, at: "2026-12-04T10:00:10Z" } as const;
    await sessions.addPresence(call, "event-grid:e1", left);
    const session = await sessions.addPresence(call, "event-grid:e1", left); // delivered again
    expect(session.presence).toEqual([left]);
    expect(await sessions.knowsParticipant(call, trader)).toBe(false);
    const list: PresenceObservation = {
      source: "connection",
      callConnectionId: "c",
      sequenceNumber: 3,
      participants: ["4:+442079460001"],
      at: "2026-12-04T10:00:11Z",
    };
    await sessions.addPresence(call, "connection:e2", list);
    expect((await sessions.get(call)).presence).toEqual(expect.arrayContaining([left, list]));
    expect((await sessions.get(call)).presence).toHaveLength(2);
  });

  it("the announcement's `requested` never replaces ACS's result folded in before it", async () => {
    const { sessions } = fresh();
    const early = callId("announce-early");
    // PlayCompleted folded in before the job that asked wrote `requested`.
    await sessions.setAnnouncement(early, { status: "played" });
    await sessions.noteAnnouncementAsked(early);
    expect((await sessions.get(early)).announcement).toEqual({ status: "played" });
    // The usual order: asked, then the result.
    const usual = callId("announce-usual");
    await sessions.noteAnnouncementAsked(usual);
    expect((await sessions.get(usual)).announcement).toEqual({ status: "requested" });
    await sessions.setAnnouncement(usual, { status: "failed", detail: "8535" });
    expect((await sessions.get(usual)).announcement).toEqual({ status: "failed", detail: "8535" });
  });

  it("every key of a session expires, each written once as the last write of its kind (no key lives on without a TTL)", async () => {
    const prefix = `${inject("runId")}:${randomBytes(4).toString("hex")}`;
    prefixes.push(prefix);
    const sessions = createRedisSessionStore(redis, prefix);
    const call = callId("ttl");
    // Each kind of key written exactly once, in an order where no later write is to the same key.
    await sessions.addPresence(call, "event-grid:e1", {
      source: "event-grid",
      change: "left",
      participant: "8:acs:r_gone",
      at: "2026-12-04T10:00:10Z",
    });
    await sessions.noteConnected(call, "conn-1");
    await sessions.setOwnConnection(call, "conn-1");
    await sessions.addFacts(call, { participants: ["8:acs:r_trader"] });
    const base = `${prefix}:call:{${call}}`;
    const keys = [base, `${base}:participants`, `${base}:connected`, `${base}:presence`, `${base}:departed`];
    for (const key of keys) {
      const ttl = await redis.ttl(key);
      expect(ttl, key).toBeGreaterThan(6 * 24 * 3600);
    }
  });

  it("stops on purpose: the first of a recording stays, read with the session; a refused one is taken back", async () => {
    const { sessions } = fresh();
    const call = callId("stops");
    const stop = { recordingId: "r1", trigger: "scope", by: "scope", reason: "no-in-scope-present", at: "t1" } as const;
    expect(await sessions.recordStop(call, stop)).toBe(true);
    expect(await sessions.recordStop(call, { ...stop, trigger: "request", by: "agent", at: "t2" })).toBe(false);
    expect((await sessions.get(call)).stops).toEqual({ r1: stop });
    await sessions.forgetStop(call, "r1");
    expect((await sessions.get(call)).stops).toEqual({});
  });
});
