import { describe, expect, it } from "vitest";
import type { Principal } from "../auth/tokens.js";
import { ALICE, PHONE, sampleManifest } from "./test-fixtures.js";
import { decodeCursor, encodeCursor, exportRequest, filtersOf, listQuery } from "./query.js";
import {
  archivedManifest,
  matchesFilters,
  maySee,
  participantKey,
  publicSummary,
  scopeFilters,
  summarize,
  type RecordingSummary,
} from "./summary.js";

describe("summarize", () => {
  it("lists what a reviewer filters and sorts on", () => {
    const recording = summarize(sampleManifest(), "b/manifest.json", "ms");
    expect(publicSummary(recording)).toEqual({
      recordingId: "rec-1",
      serverCallId: "call-1",
      team: "trading-desk",
      startedAt: "2026-11-23T09:00:00.000Z",
      durationSeconds: 10,
      participants: [PHONE, ALICE].sort(),
      outcome: "required",
      ruleId: "record-external",
      chunkCount: 2,
      totalBytes: 2001,
      channelType: "unmixed",
      format: "wav",
    });
    expect(recording).toMatchObject({ manifestBlob: "b/manifest.json", manifestSha256: "ms" });
  });

  it("reads manifests written before the policy mode was recorded", () => {
    const manifest = sampleManifest() as Record<string, unknown> & { policy: Record<string, unknown> };
    delete manifest.policy.mode;
    expect(summarize(archivedManifest.parse(manifest), "m", "s").outcome).toBeNull();
  });
});

describe("filters", () => {
  const recording: RecordingSummary = publicSummary(summarize(sampleManifest(), "m", "s"));
  it.each([
    [{}, true],
    [{ team: "trading-desk" }, true],
    [{ team: "legal" }, false],
    [{ from: new Date("2026-11-23T09:00:00Z") }, true], // from is inclusive
    [{ to: new Date("2026-11-23T09:00:00Z") }, false], // to is exclusive
    [{ from: new Date("2026-11-23T08:00:00Z"), to: new Date("2026-11-23T10:00:00Z") }, true],
    [{ participant: ALICE }, true],
    [{ participant: "+447700900123" }, true], // a number matches its phone participant
    [{ participant: PHONE }, true],
    [{ participant: "+447700900999" }, false],
    [{ serverCallId: "call-1" }, true],
    [{ serverCallId: "call-2" }, false],
    [{ minDurationSeconds: 10 }, true],
    [{ minDurationSeconds: 10.5 }, false],
    [{ maxDurationSeconds: 9 }, false],
    [{ outcome: "required" as const }, true],
    [{ outcome: "best-effort" as const }, false],
  ])("%o → %s", (filters, expected) => {
    expect(matchesFilters(recording, filters)).toBe(expected);
  });

  it("normalises phone participants to E.164", () => {
    expect(participantKey("4:+447700900123")).toBe("+447700900123");
    expect(participantKey(" +447700900123 ")).toBe("+447700900123");
    expect(participantKey(ALICE)).toBe(ALICE);
  });
});

describe("access scope", () => {
  const desk: Principal = { name: "d", role: "team", team: "trading-desk" };
  const auditor: Principal = { name: "a", role: "auditor" };
  it.each([
    [desk, "trading-desk", true],
    [desk, "legal", false],
    [auditor, "legal", true],
  ])("%o may see %s: %s", (principal, team, expected) => {
    expect(maySee(principal, team)).toBe(expected);
  });

  it("keeps a team token to its team; another team's name lists nothing", () => {
    expect(scopeFilters(desk, {})).toEqual({ team: "trading-desk" });
    expect(scopeFilters(desk, { team: "trading-desk", outcome: "required" })).toEqual({
      team: "trading-desk",
      outcome: "required",
    });
    expect(scopeFilters(desk, { team: "legal" })).toBeUndefined();
    expect(scopeFilters(auditor, {})).toEqual({});
    expect(scopeFilters(auditor, { team: "legal" })).toEqual({ team: "legal" });
  });
});

describe("query parameters", () => {
  it("parses the list's filters and defaults", () => {
    const query = listQuery.parse({
      team: "trading-desk",
      from: "2026-11-01",
      to: "2026-12-01T00:00:00Z",
      minDurationSeconds: "5",
      outcome: "best-effort",
    });
    expect(query.limit).toBe(50);
    expect(filtersOf(query)).toEqual({
      team: "trading-desk",
      from: new Date("2026-11-01T00:00:00Z"),
      to: new Date("2026-12-01T00:00:00Z"),
      minDurationSeconds: 5,
      outcome: "best-effort",
    });
  });

  it.each([
    [{ from: "yesterday" }, "from"],
    [{ limit: "0" }, "limit"],
    [{ limit: "201" }, "limit"],
    [{ outcome: "never" }, "outcome"],
    [{ minDurationSeconds: "-1" }, "minDurationSeconds"],
    [{ team: "Bad Team" }, "team"],
    [{ colour: "blue" }, ""],
  ])("refuses %o naming %s", (query, name) => {
    const parsed = listQuery.safeParse(query);
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues.map((i) => i.path.join(".") || "").join()).toContain(name);
  });

  it("needs an export's time range and refuses folders that climb out", () => {
    expect(exportRequest.safeParse({ from: "2026-11-01" }).success).toBe(false);
    expect(exportRequest.safeParse({ from: "2026-11-01", to: "2026-12-01", folder: "case-1/a_b.c" }).success).toBe(
      true,
    );
    for (const folder of ["../x", "a/../b", "/abs", "a//b", "a b", "a/"])
      expect(exportRequest.safeParse({ from: "2026-11-01", to: "2026-12-01", folder }).success).toBe(false);
  });

  it("round-trips cursors and refuses foreign ones", () => {
    const cursor = { score: 1_795_000_000_000, recordingId: "rec/+=" };
    expect(decodeCursor(encodeCursor(cursor))).toEqual(cursor);
    expect(decodeCursor("not-a-cursor")).toBeUndefined();
    expect(decodeCursor(Buffer.from('{"s":"x","r":"y"}').toString("base64url"))).toBeUndefined();
  });
});
