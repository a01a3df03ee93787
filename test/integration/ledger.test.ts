// The completeness ledger in Redis, and `recorder ledger gaps`.
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { deleteKeysMatching } from "../../scripts/local-stack/services.js";
import { gapsCommand } from "../../src/cli/ledger-commands.js";
import { createLedger, type Ledger } from "../../src/ledger/index.js";
import type { RedisClient } from "../../src/redis/index.js";
import { connectTarget, redisTargets } from "../support/redis-targets.js";

describe.each(redisTargets)("ledger on %s", (_label, target) => {
  const prefix = `${inject("runId")}:ledger-${randomBytes(4).toString("hex")}`;
  let redis: RedisClient;
  let ledger: Ledger;

  beforeAll(() => {
    redis = connectTarget(target, { maxRetriesPerRequest: 3 });
    ledger = createLedger(redis, prefix);
  });
  afterAll(async () => {
    await deleteKeysMatching(redis, `${prefix}:*`);
    redis.disconnect();
  });

  it("keeps one hash-tagged entry per call; recorded is never downgraded by a late event", async () => {
    await ledger.record({ serverCallId: "c1", outcome: "pending", teamId: "t", endedAt: "2026-11-22T10:00:00Z" });
    await ledger.record({ serverCallId: "c1", outcome: "recorded", manifest: "t/m.json", recordingId: "r1" });
    await ledger.record({ serverCallId: "c1", outcome: "pending", endedAt: "2026-11-22T10:00:00Z" });
    expect(await ledger.get("c1")).toMatchObject({
      outcome: "recorded",
      manifest: "t/m.json",
      recordingId: "r1",
      teamId: "t",
    });
    expect(await redis.exists(`${prefix}:ledger:{c1}`)).toBe(1);
  });

  it("a recorded entry takes the call's end and its final consent record from a later CallEnded, and stays recorded", async () => {
    const consent = {
      summary: "all-party consent: a joiner refused",
      requirement: "consent" as const,
      decidedBy: { party: "4:+14155550100", jurisdiction: "US-CA", set: "all-party-consent" },
      askedAt: "2026-11-22T09:58:00Z",
      outcome: "refused" as const,
      fallback: "record-nothing" as const,
    };
    await ledger.record({ serverCallId: "c9", outcome: "recorded", manifest: "t/m9.json", recordingId: "r9" });
    await ledger.record({
      serverCallId: "c9",
      outcome: "exempt",
      reason: "consent: refused",
      endedAt: "2026-11-22T10:05:00Z",
      consent,
    });
    expect(await ledger.get("c9")).toMatchObject({
      outcome: "recorded",
      manifest: "t/m9.json",
      endedAt: "2026-11-22T10:05:00Z",
      consent,
    });
    expect((await ledger.get("c9"))?.reason).toBeUndefined();
    // The same end again changes nothing (no new line in the ledger chain).
    const before = await redis.hget(`${prefix}:ledger:{c9}`, "entry");
    await ledger.record({ serverCallId: "c9", outcome: "pending", endedAt: "2026-11-22T10:05:00Z", consent });
    expect(await redis.hget(`${prefix}:ledger:{c9}`, "entry")).toBe(before);
  });

  it("lists gaps since a time: failed, and pending past the grace period; exit code 1 when any", async () => {
    const old = new Date(Date.now() - 3 * 3_600_000).toISOString();
    await ledger.record({
      serverCallId: "c2",
      outcome: "failed",
      reason: "chunk 0: zero-byte body",
      recordingId: "r2",
    });
    await ledger.record({ serverCallId: "c3", outcome: "pending", endedAt: old });
    await ledger.record({ serverCallId: "c4", outcome: "pending", endedAt: new Date().toISOString() });
    await ledger.record({ serverCallId: "c5", outcome: "exempt", endedAt: old });
    const lines: string[] = [];
    const io = { out: (line: string) => lines.push(line), err: (line: string) => lines.push(`ERR ${line}`) };
    expect(await gapsCommand(ledger, { since: "1h", graceMinutes: "30", json: true }, io)).toBe(1);
    const gaps = lines.map((line) => JSON.parse(line) as { serverCallId: string; outcome: string });
    expect(gaps.map((g) => [g.serverCallId, g.outcome]).sort()).toEqual([
      ["c2", "failed"],
      ["c3", "pending"],
    ]);
    lines.length = 0;
    expect(await gapsCommand(ledger, { since: "soon", graceMinutes: "30" }, io)).toBe(2);
    expect(
      await gapsCommand(ledger, { since: new Date(Date.now() + 60_000).toISOString(), graceMinutes: "30" }, io),
    ).toBe(0);
  });

  it("keeps every recording of a call, each under its own key; a replay adds nothing", async () => {
    await ledger.record({ serverCallId: "c6", outcome: "recorded", recordingId: "doc-d1", manifest: "t/c6/doc-d1/m" });
    await ledger.record({ serverCallId: "c6", outcome: "recorded", recordingId: "doc-d2", manifest: "t/c6/doc-d2/m" });
    await ledger.record({ serverCallId: "c6", outcome: "recorded", recordingId: "doc-d1", manifest: "t/c6/doc-d1/m" });
    const entry = await ledger.get("c6");
    expect(entry?.recordings?.map((r) => [r.recordingId, r.manifest])).toEqual([
      ["doc-d1", "t/c6/doc-d1/m"],
      ["doc-d2", "t/c6/doc-d2/m"],
    ]);
    expect(entry).toMatchObject({ recordingId: "doc-d1" });
  });

  it("lists a quarantined recording as a gap until it is assigned; it is put on record once", async () => {
    const own = createLedger(redis, `${prefix}:q`);
    const quarantined = {
      recordingId: "doc-q1",
      callId: "acs-call-q1",
      reason: "no call found for ACS call id acs-call-q1",
    };
    expect(await own.quarantine(quarantined)).toBe(true);
    expect(await own.quarantine(quarantined)).toBe(false);
    await own.updateQuarantine("doc-q1", {
      state: "archived",
      manifest: "_quarantine/2026/11/22/doc-q1/manifest.json",
    });
    const lines: string[] = [];
    const io = { out: (line: string) => lines.push(line), err: (line: string) => lines.push(`ERR ${line}`) };
    expect(await gapsCommand(own, { since: "1h", graceMinutes: "30" }, io)).toBe(1);
    expect(lines).toEqual([
      expect.stringMatching(
        / quarantined {2}recording=doc-q1 {2}acs-call-id=acs-call-q1 {2}no call found .*recordings assign doc-q1/,
      ),
    ]);
    lines.length = 0;
    expect(await gapsCommand(own, { since: "1h", graceMinutes: "30", json: true }, io)).toBe(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ kind: "quarantined", recordingId: "doc-q1", state: "archived" });
    const assigned = {
      serverCallId: "c7",
      teamId: "t",
      manifest: "t/c7/doc-q1/manifest.json",
      by: "ops",
      at: "x",
      reason: "r",
    };
    await own.updateQuarantine("doc-q1", { state: "assigned", assigned });
    // A late write of the quarantine copy's manifest does not make it a gap again.
    await own.updateQuarantine("doc-q1", { state: "archived" });
    expect(await own.getQuarantine("doc-q1")).toMatchObject({ state: "assigned", assigned });
    lines.length = 0;
    expect(await gapsCommand(own, { since: "1h", graceMinutes: "30" }, io)).toBe(0);
    expect(await redis.exists(`${prefix}:q:ledger:quarantine:{doc-q1}`)).toBe(1);
  });
});
