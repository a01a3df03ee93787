import { describe, expect, it } from "vitest";
import { acsExpiry, deadlineStatus } from "./deadline.js";

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
});
