// The fact rules' one table (src/sessions/facts.ts) against the store that writes by it, on real Redis (one server
// and a Cluster): random updates, applied through the store in random orders, leave the session exactly as the pure
// fold of the same updates in the same order. A store whose commands drift from the table fails here.
import { randomBytes } from "node:crypto";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { deleteKeysMatching } from "../../scripts/local-stack/services.js";
import type { RedisClient } from "../../src/redis/index.js";
import {
  createRedisSessionStore,
  mergeFacts,
  NO_FACTS,
  type CallSession,
  type FactUpdate,
  type KnownFacts,
} from "../../src/sessions/index.js";
import { serverCallIdLike } from "../support/acs-ids.js";
import { connectTarget, redisTargets } from "../support/redis-targets.js";

/** Few values per fact, so that updates collide: the rules only show when two updates tell the same fact. */
const id = fc.constantFrom("8:acs:alice", "8:acs:bob", "4:+15550100", "");
const moment = fc.constantFrom(
  "2026-01-01T10:00:00.000Z",
  "2026-01-01T10:00:00Z", // the same moment written differently
  "2026-01-01T09:59:59.999Z",
  "2026-01-01T10:00:05+01:00",
  "not a moment",
);
const flag = fc.boolean();
const update: fc.Arbitrary<FactUpdate> = fc.record(
  {
    correlationId: fc.constantFrom("corr-1", "corr-2", ""),
    caller: id,
    callee: id,
    callerHint: id,
    rang: flag,
    started: flag,
    ended: flag,
    startedSeenAt: moment,
    rangSeenAt: moment,
    startedAt: moment,
    // The consent evidence (sessions/consent.ts): the first ask and the first answer stay.
    consentAsked: fc.constantFrom('{"requirement":"notice","n":1}', '{"requirement":"consent","n":2}', ""),
    consentAnswer: fc.constantFrom('{"outcome":"given"}', '{"outcome":"refused"}', '{"outcome":"silent"}', ""),
    participants: fc.uniqueArray(
      id.filter((value) => value !== ""),
      { maxLength: 3 },
    ),
  },
  { requiredKeys: [] },
);

const factsOf = (session: CallSession): KnownFacts => ({
  correlationId: session.correlationId,
  caller: session.caller,
  callee: session.callee,
  rang: session.rang,
  started: session.started,
  ended: session.ended,
  startedSeenAt: session.startedSeenAt,
  rangSeenAt: session.rangSeenAt,
  startedAt: session.startedAt,
  participants: session.participants,
  consentAsked: session.consentAsked,
  consentAnswer: session.consentAnswer,
});

describe.each(redisTargets)("fact rules on %s", (_label, target) => {
  let redis: RedisClient;
  const prefix = `${inject("runId")}:${randomBytes(4).toString("hex")}`;
  beforeAll(() => {
    redis = connectTarget(target);
  });
  afterAll(async () => {
    await deleteKeysMatching(redis, `${prefix}:*`);
    redis.disconnect();
  });

  it("the store keeps, after every update, what the pure fold of the table keeps", async () => {
    const sessions = createRedisSessionStore(redis, prefix);
    let calls = 0;
    await fc.assert(
      fc.asyncProperty(
        fc
          .array(update, { minLength: 1, maxLength: 8 })
          .chain((updates) =>
            fc.tuple(fc.constant(updates), fc.shuffledSubarray(updates, { minLength: updates.length })),
          ),
        async ([, shuffled]) => {
          const call = serverCallIdLike(`facts-${calls++}`);
          let expected = NO_FACTS;
          for (const facts of shuffled) {
            expected = mergeFacts(expected, facts);
            // What addFacts returns is read in its own transaction: it must already be the fold so far.
            expect(factsOf(await sessions.addFacts(call, facts))).toEqual(expected);
          }
          expect(factsOf(await sessions.get(call))).toEqual(expected);
        },
      ),
      { numRuns: 60 },
    );
  });

  it("an order-free fact ends the same whatever the order: the earliest start, the first arrivals, the union", async () => {
    const sessions = createRedisSessionStore(redis, prefix);
    let calls = 0;
    await fc.assert(
      fc.asyncProperty(
        fc
          .array(update, { minLength: 1, maxLength: 6 })
          .chain((updates) =>
            fc.tuple(fc.constant(updates), fc.shuffledSubarray(updates, { minLength: updates.length })),
          ),
        async ([inOrder, shuffled]) => {
          const ends: KnownFacts[] = [];
          for (const order of [inOrder, shuffled]) {
            const call = serverCallIdLike(`order-${calls++}`);
            for (const facts of order) await sessions.addFacts(call, facts);
            ends.push(factsOf(await sessions.get(call)));
          }
          const orderFree = ({ startedAt, participants, rang, started, ended }: KnownFacts) => ({
            startedAt: startedAt && Date.parse(startedAt),
            participants,
            rang,
            started,
            ended,
          });
          expect(orderFree(ends[1]!)).toEqual(orderFree(ends[0]!));
        },
      ),
      { numRuns: 30 },
    );
  });
});
