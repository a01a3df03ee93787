// Our side only (docs/consent-flow.md "Our side only"): the parties never to archive, on real Redis (one server and a
// Cluster) — keep-first per party, a set that only grows, read with the session.
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { deleteKeysMatching } from "../../scripts/local-stack/services.js";
import type { RedisClient } from "../../src/redis/index.js";
import { createRedisSessionStore } from "../../src/sessions/index.js";
import { serverCallIdLike } from "../support/acs-ids.js";
import { connectTarget, redisTargets } from "../support/redis-targets.js";

describe.each(redisTargets)("unarchived parties on %s", (_label, target) => {
  let redis: RedisClient;
  const prefix = `${inject("runId")}:${randomBytes(4).toString("hex")}`;
  beforeAll(() => {
    redis = connectTarget(target);
  });
  afterAll(async () => {
    await deleteKeysMatching(redis, `${prefix}:*`);
    redis.disconnect();
  });

  it("keeps the first entry of each party, adds new ones, and reads them with the session", async () => {
    const sessions = createRedisSessionStore(redis, prefix);
    const call = serverCallIdLike("our-side");
    expect((await sessions.get(call)).unarchivedParties).toBeUndefined();
    const first = await sessions.addUnarchivedParties(call, { "4:+14155550100": { why: "refused", at: "t1" } });
    expect(first.unarchivedParties).toEqual({ "4:+14155550100": { why: "refused", at: "t1" } });
    // Redelivered with another reason, and a joiner: the first entry stays, the joiner is added.
    const after = await sessions.addUnarchivedParties(call, {
      "4:+14155550100": { why: "silent", at: "t2" },
      "8:acs:joiner": { why: "no consent", at: "t2" },
    });
    expect(after.unarchivedParties).toEqual({
      "4:+14155550100": { why: "refused", at: "t1" },
      "8:acs:joiner": { why: "no consent", at: "t2" },
    });
    expect((await sessions.get(call)).unarchivedParties).toEqual(after.unarchivedParties);
  });
});
