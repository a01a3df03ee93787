import { describe, expect, it } from "vitest";
import {
  channelRows,
  formatBytes,
  formatDuration,
  formatInstant,
  listQuery,
  needsMore,
  shortHash,
  verificationView,
  type FilterFields,
} from "./view.js";

const query = (fields: FilterFields, page?: { limit?: number; cursor?: string }) => {
  const result = listQuery(fields, page);
  return result.ok ? Object.fromEntries(new URLSearchParams(result.query)) : result.problems;
};

describe("listQuery: the filter form → GET /api/recordings", () => {
  it.each<[string, FilterFields, unknown]>([
    ["no filter: the newest page", {}, { limit: "50" }],
    [
      "whole UTC days, both ends included (the API's `to` excludes)",
      { from: "2026-11-23", to: "2026-11-24" },
      { from: "2026-11-23T00:00:00.000Z", to: "2026-11-25T00:00:00.000Z", limit: "50" },
    ],
    [
      "one day, across a month end",
      { from: "2026-01-31", to: "2026-01-31" },
      { from: "2026-01-31T00:00:00.000Z", to: "2026-02-01T00:00:00.000Z", limit: "50" },
    ],
    [
      "text filters trimmed, empty ones dropped",
      { participant: " +447700900123 ", serverCallId: "aHR0cHM6Ly9h/b+c=", team: "", outcome: "required" },
      { participant: "+447700900123", serverCallId: "aHR0cHM6Ly9h/b+c=", outcome: "required", limit: "50" },
    ],
    [
      "durations in seconds, 0 kept",
      { minDuration: "0", maxDuration: "90.5" },
      { minDurationSeconds: "0", maxDurationSeconds: "90.5", limit: "50" },
    ],
    ["team for auditors", { team: "trading-desk" }, { team: "trading-desk", limit: "50" }],
    ["not a date", { from: "23/11/2026" }, ["From is not a date (YYYY-MM-DD)."]],
    ["no such day", { to: "2026-02-30" }, ["To is not a date (YYYY-MM-DD)."]],
    ["from after to", { from: "2026-11-24", to: "2026-11-23" }, ["From is after To."]],
    ["negative duration", { minDuration: "-1" }, ["Shortest must be a number of seconds, 0 or more."]],
    ["text duration", { maxDuration: "long" }, ["Longest must be a number of seconds, 0 or more."]],
    ["min above max", { minDuration: "60", maxDuration: "30" }, ["Shortest is longer than Longest."]],
    ["unknown outcome", { outcome: "never" }, ["Outcome must be one of: required, best-effort."]],
  ])("%s", (_name, fields, expected) => {
    expect(query(fields)).toEqual(expected);
  });

  it("asks for the next page with the previous answer's cursor", () => {
    expect(query({ outcome: "best-effort" }, { limit: 10, cursor: "abc==" })).toEqual({
      outcome: "best-effort",
      limit: "10",
      cursor: "abc==",
    });
  });

  it("reports every problem at once", () => {
    expect(query({ from: "x", minDuration: "-5", outcome: "?" })).toHaveLength(3);
  });

  it("never puts anything but the filters in the query", () => {
    const result = listQuery({ participant: "a&token=b" });
    expect(result.ok && new URLSearchParams(result.query).get("participant")).toBe("a&token=b");
    expect(result.ok && new URLSearchParams(result.query).has("token")).toBe(false);
  });
});

describe("needsMore: following the cursor of short pages", () => {
  it.each([
    [0, "c", 1, true],
    [49, "c", 1, true],
    [50, "c", 1, false],
    [0, null, 1, false],
    [0, "c", 10, false],
  ])("shown %i, cursor %s, after %i request(s) → %s", (shown, cursor, requests, expected) => {
    expect(needsMore(shown, cursor, requests)).toBe(expected);
  });
});

describe("formatting", () => {
  it.each([
    [0, "0:00"],
    [12.5, "0:13"],
    [75.4, "1:15"],
    [3725, "1:02:05"],
    [null, "—"],
    [-1, "—"],
  ])("duration %s → %s", (value, text) => expect(formatDuration(value)).toBe(text));

  it.each([
    [0, "0 B"],
    [1023, "1023 B"],
    [480_044, "468.8 KiB"],
    [1_074_000_000, "1.0 GiB"],
    [undefined, "—"],
  ])("bytes %s → %s", (value, text) => expect(formatBytes(value)).toBe(text));

  it.each([
    ["2026-11-23T09:00:05.120Z", "2026-11-23 09:00:05"],
    ["2026-11-23T10:00:05+01:00", "2026-11-23 09:00:05"],
    ["yesterday", "—"],
    [null, "—"],
  ])("instant %s → %s", (value, text) => expect(formatInstant(value)).toBe(text));

  it.each([
    ["a".repeat(64), `${"a".repeat(12)}…`],
    ["abc", "abc"],
    [null, "—"],
  ])("hash %s → %s", (value, text) => expect(shortHash(value)).toBe(text));
});

describe("channelRows", () => {
  it("lists participants by channel, those without one (mixed) last", () => {
    expect(
      channelRows([
        { participantId: "8:acs:r_bob", channel: 1 },
        { participantId: "4:+447700900123", channel: null },
        { participantId: "8:acs:r_alice", channel: 0 },
      ]),
    ).toEqual([
      { channel: "0", participant: "8:acs:r_alice" },
      { channel: "1", participant: "8:acs:r_bob" },
      { channel: "mixed", participant: "4:+447700900123" },
    ]);
    expect(channelRows(undefined)).toEqual([]);
  });
});

describe("verificationView", () => {
  const good = {
    ok: true,
    verifiedAt: "2026-11-23T09:14:03.120Z",
    manifest: { ok: true, actualSha256: "f".repeat(64) },
    chunks: [
      { index: 0, ok: true, actual: { sha256: "a".repeat(64), sizeBytes: 2048 } },
      { index: 1, ok: true, actual: { sha256: "b".repeat(64), sizeBytes: 1024 } },
    ],
  };

  it("summarises a report where everything matches, one row per blob", () => {
    const view = verificationView(good);
    expect(view.ok).toBe(true);
    expect(view.summary).toBe(
      "Verified 2026-11-23 09:14:03 UTC: the manifest and all 2 chunk(s) match their recorded SHA-256.",
    );
    expect(view.rows).toEqual([
      { item: "manifest", ok: true, details: `SHA-256 ${"f".repeat(12)}…` },
      { item: "chunk 0", ok: true, details: `2.0 KiB, SHA-256 ${"a".repeat(12)}…` },
      { item: "chunk 1", ok: true, details: `1.0 KiB, SHA-256 ${"b".repeat(12)}…` },
    ]);
  });

  it("names every failure with the API's reasons", () => {
    const view = verificationView({
      ...good,
      ok: false,
      manifest: { ok: false, actualSha256: "0".repeat(64) },
      chunks: [
        { index: 0, ok: false, actual: null, problems: ["blob missing"] },
        { index: 1, ok: true, actual: { sha256: "b".repeat(64), sizeBytes: 1024 } },
      ],
    });
    expect(view.ok).toBe(false);
    expect(view.summary).toBe("Verification FAILED 2026-11-23 09:14:03 UTC: 2 item(s) do not match.");
    expect(view.rows.map((row) => [row.item, row.ok, row.details])).toEqual([
      ["manifest", false, "manifest SHA-256 differs"],
      ["chunk 0", false, "blob missing"],
      ["chunk 1", true, `1.0 KiB, SHA-256 ${"b".repeat(12)}…`],
    ]);
  });
});
