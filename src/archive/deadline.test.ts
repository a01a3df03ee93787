import { describe, expect, it } from "vitest";
import { acsExpiry, deadlineStatus, ingestPriority, reviewWaitingChunk } from "./deadline.js";

describe("ACS deadline", () => {
  it.each([
    ["2026-11-22T10:00:00Z", "2026-11-23T10:00:00.000Z"],
    ["not a time", undefined],
  ])("a chunk published at %s expires at %s", (publishedAt, expiry) => {
    expect(acsExpiry(publishedAt)).toBe(expiry);
  });

  const expiresAt = "2026-11-23T10:00:00.000Z";
  const H = 3_600_000;
  it.each([
    ["a day left", "2026-11-22T10:00:00Z", "ok"],
    ["just outside the margin", "2026-11-23T07:59:59Z", "ok"],
    ["inside the margin", "2026-11-23T08:00:00Z", "at-risk"],
    ["a second left", "2026-11-23T09:59:59Z", "at-risk"],
    ["at expiry", "2026-11-23T10:00:00Z", "lost"],
    ["after expiry", "2026-11-24T00:00:00Z", "lost"],
  ])("%s → %s", (_what, now, status) => {
    expect(deadlineStatus(expiresAt, new Date(now), 2 * H)).toBe(status);
  });

  it("jobs queued before expiries existed are never at risk", () => {
    expect(deadlineStatus(undefined, new Date(), 2 * H)).toBe("ok");
  });

  describe("ingest priority (BullMQ: lower runs first) from the time left", () => {
    it.each([
      ["a fresh chunk: a full day left", "2026-11-22T10:00:00Z", 24],
      ["published in the future (clock skew)", "2026-11-22T08:00:00Z", 24],
      ["23 h 59 min left", "2026-11-22T10:01:00Z", 24],
      ["exactly 23 h left", "2026-11-22T11:00:00Z", 23],
      ["12 h 30 min left", "2026-11-22T21:30:00Z", 13],
      ["2 h left (the default at-risk margin)", "2026-11-23T08:00:00Z", 2],
      ["1 h 1 s left", "2026-11-23T08:59:59Z", 2],
      ["exactly 1 h left", "2026-11-23T09:00:00Z", 1],
      ["a second left", "2026-11-23T09:59:59Z", 1],
      ["expired", "2026-11-23T10:00:00Z", 1],
      ["long expired", "2026-11-25T10:00:00Z", 1],
    ])("%s → %i", (_what, now, priority) => {
      expect(ingestPriority(expiresAt, new Date(now))).toBe(priority);
    });

    it("a chunk without a known expiry is in the least urgent band, never 0 (0 would jump every priority)", () => {
      expect(ingestPriority(undefined, new Date())).toBe(24);
      expect(ingestPriority("garbage", new Date())).toBe(24);
    });

    it("only ever rises (falls in number) as time passes", () => {
      let previous = Number.POSITIVE_INFINITY;
      for (let t = Date.parse("2026-11-22T09:00:00Z"); t <= Date.parse("2026-11-23T11:00:00Z"); t += 60_000) {
        const priority = ingestPriority(expiresAt, new Date(t));
        expect(priority).toBeLessThanOrEqual(previous);
        expect(priority).toBeGreaterThanOrEqual(1);
        previous = priority;
      }
    });
  });

  describe("the sweep's review of a waiting chunk", () => {
    it.each([
      ["queued fresh, still in its band", "2026-11-22T10:30:00Z", 24, undefined, "ok"],
      ["queued fresh, 5 h later", "2026-11-22T15:00:00Z", 24, 19, "ok"],
      ["queued without a priority (0)", "2026-11-22T10:30:00Z", 0, 24, "ok"],
      ["already raised by an earlier sweep", "2026-11-22T15:00:00Z", 19, undefined, "ok"],
      ["set more urgent by hand: never moved back", "2026-11-22T15:00:00Z", 1, undefined, "ok"],
      ["inside the at-risk margin", "2026-11-23T08:30:00Z", 3, 2, "at-risk"],
      ["at risk, already in its band", "2026-11-23T08:30:00Z", 2, undefined, "at-risk"],
      ["expired while waiting", "2026-11-23T10:00:01Z", 2, 1, "lost"],
    ])("%s", (_what, now, current, raiseTo, status) => {
      expect(reviewWaitingChunk(expiresAt, current, new Date(now), 2 * H)).toEqual({ raiseTo, status });
    });
  });
});
