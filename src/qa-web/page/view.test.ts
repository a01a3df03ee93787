import { describe, expect, it } from "vitest";
import { storedOf, type ReconcileRun, type ReconciledCall } from "../../reconcile/index.js";
import {
  channelGains,
  channelRows,
  formatBytes,
  formatDuration,
  formatInstant,
  listQuery,
  needsMore,
  NO_RECONCILIATION,
  reconcileQuery,
  reconciliationView,
  shortHash,
  speakerChoices,
  verificationView,
  barHeights,
  directionText,
  integrityBadge,
  peopleOf,
  personLabel,
  reviewText,
  seekTarget,
  shortId,
  sortItems,
  timelineRows,
  waveformLabels,
  type FilterFields,
  type SortKey,
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

describe("speakerChoices: whom the reviewer can listen to", () => {
  const ALICE = "8:acs:r_alice";
  const BOB = "8:acs:r_bob";
  const CAROL = "4:+447700900123";
  const on = (participantId: string, channel: number | null) => ({ participantId, channel });

  // Each choice as "value: label"; "all: All speakers" comes first whenever there is anything to choose.
  it.each<[string, Parameters<typeof speakerChoices>[0], number, string[]]>([
    [
      "two channels: all, then each by channel",
      [on(BOB, 1), on(ALICE, 0)],
      2,
      [`0: ${ALICE} (channel 0)`, `1: ${BOB} (channel 1)`],
    ],
    [
      "a gap in the map: the WAV still has the unmapped channel (highest + 1 channels)",
      [on(CAROL, 2), on(ALICE, 0)],
      3,
      [`0: ${ALICE} (channel 0)`, `2: ${CAROL} (channel 2)`],
    ],
    [
      "two participants on one channel: one choice naming both; someone without a channel left out",
      [on(BOB, 0), on(ALICE, 0), on(CAROL, 1), on("8:acs:r_late", null)],
      2,
      [`0: ${ALICE}, ${BOB} (channel 0)`, `1: ${CAROL} (channel 1)`],
    ],
    ["one channel: nothing to choose", [on(ALICE, 0)], 0, []],
    ["mixed audio (no channels): nothing to choose", [on(ALICE, null), on(BOB, null)], 0, []],
    [
      "channels that no splitter has (negative, fractional, 32 and up) are ignored",
      [on(ALICE, -1), on(BOB, 1.5), on(CAROL, 32), on("8:acs:r_x", 31)],
      0,
      [],
    ],
    ["no map", undefined, 0, []],
  ])("%s", (_name, map, channels, expected) => {
    const result = speakerChoices(map);
    expect(result.channels).toBe(channels);
    expect(result.choices.map((choice) => `${choice.value}: ${choice.label}`)).toEqual(
      expected.length > 0 ? ["all: All speakers", ...expected] : [],
    );
    for (const choice of result.choices)
      expect(choice.channel).toBe(choice.value === "all" ? null : Number(choice.value));
  });

  it("announces a choice without the raw participant id", () => {
    const { choices } = speakerChoices([on(ALICE, 0), on(BOB, 1)]);
    expect(choices.map((choice) => choice.status)).toEqual([
      "Listening to all speakers.",
      "Listening to channel 0 only, in both ears.",
      "Listening to channel 1 only, in both ears.",
    ]);
  });
});

describe("channelGains: each channel's gain into the left and right ear", () => {
  // One "left,right" pair per channel, channel 0 first.
  const pairs = (gains: [number, number][]) => gains.map(([left, right]) => `${left},${right}`).join("  ");
  it.each<[number, number | null, string]>([
    [2, 0, "1,1  0,0"],
    [2, 1, "0,0  1,1"],
    [2, null, "1,0  0,1"], // the player's own stereo mix: channel 0 left, 1 right
    [1, null, "1,1"],
    [3, 2, "0,0  0,0  1,1"],
    [3, null, "1,0  0.7071,0.7071  0,1"],
    [5, 3, "0,0  0,0  0,0  1,1  0,0"],
    [5, null, "1,0  0.9239,0.3827  0.7071,0.7071  0.3827,0.9239  0,1"],
  ])("%i channel(s), choice %s → %s", (channels, channel, expected) => {
    expect(pairs(channelGains(channels, channel))).toBe(expected);
  });

  it("keeps every speaker at the same power when all are heard", () => {
    for (const channels of [2, 3, 4, 5])
      for (const [left, right] of channelGains(channels, null)) expect(left ** 2 + right ** 2).toBeCloseTo(1, 3);
  });

  it.each<[number, number | null]>([
    [0, null],
    [33, null],
    [2.5, null],
    [2, 2],
    [2, -1],
    [2, 0.5],
  ])("refuses %s channel(s) with choice %s", (channels, channel) => {
    expect(() => channelGains(channels, channel)).toThrow(RangeError);
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

  it("shows the manifest's signature: intact, unsigned (older manifests) without failing, or what does not match", () => {
    const signed = verificationView({
      ...good,
      manifest: { ...good.manifest, signature: { status: "intact", keyId: "k1", summary: "signed by key k1, intact" } },
    });
    expect(signed.summary).toBe(
      "Verified 2026-11-23 09:14:03 UTC: the manifest and all 2 chunk(s) match their recorded SHA-256. The manifest is signed by key k1, intact.",
    );
    expect(signed.rows[1]).toEqual({ item: "signature", ok: true, details: "signed by key k1, intact" });
    const unsigned = verificationView({
      ...good,
      manifest: { ...good.manifest, signature: { status: "unsigned", summary: "unsigned (written before signing)" } },
    });
    expect([unsigned.ok, unsigned.rows[1]]).toEqual([
      true,
      { item: "signature", ok: true, details: "unsigned (written before signing)" },
    ]);
    const forged = "signed by key k1, NOT intact: the signature does not match the manifest's content";
    const bad = verificationView({
      ...good,
      ok: false,
      manifest: {
        ok: false,
        actualSha256: "f".repeat(64),
        problems: [`signature: ${forged}`],
        signature: { status: "invalid", keyId: "k1", summary: forged },
      },
    });
    expect(bad.summary).toBe("Verification FAILED 2026-11-23 09:14:03 UTC: 1 item(s) do not match.");
    expect(bad.rows.slice(0, 2).map((row) => [row.item, row.ok, row.details])).toEqual([
      ["manifest", true, `SHA-256 ${"f".repeat(12)}…`],
      ["signature", false, forged],
    ]);
  });
});

describe("reconciliationView: GET /api/reconciliation → the Reconciliation view", () => {
  const call = (correlationId: string, fields: Partial<ReconciledCall>): ReconciledCall => ({
    correlationId,
    status: "verified",
    teams: ["team-a"],
    startedAt: "2026-11-23T09:00:00.000Z",
    durationSeconds: 75,
    serverCallIds: [],
    detail: "1 recording(s) complete",
    recordings: [],
    ...fields,
  });
  const calls = [
    call("c-ok", { serverCallIds: ["s-ok"] }),
    call("c-never", {
      status: "never-seen",
      teams: ["team-a", "team-b"],
      detail: "no ledger entry carries this correlationId",
      recordings: [
        { recordingId: "r-never", acs: { chunkCount: 1, lengthSeconds: 60 }, problem: "not archived by us" },
      ],
    }),
    call("c-short", {
      status: "incomplete",
      startedAt: undefined,
      durationSeconds: undefined,
      serverCallIds: ["s-2", "s-1"],
      detail: "r-short: 1 of 2 chunks archived",
      recordings: [
        {
          recordingId: "r-short",
          acs: { chunkCount: 2, lengthSeconds: 125 },
          ours: { chunkCount: 1, durationSeconds: 62 },
          problem: "1 of 2 chunks archived",
        },
      ],
    }),
    call("c-exempt", { status: "exempt", teams: ["team-b"], detail: "exempt: rule internal" }),
  ];
  const run = (listed: ReconciledCall[], problems: string[] = []): ReconcileRun => {
    const counts = { verified: 0, exempt: 0, enforced: 0, incomplete: 0, "never-seen": 0 };
    for (const c of listed) counts[c.status]++;
    return {
      window: { from: "2026-11-22T08:00:00.000Z", to: "2026-11-23T08:00:00.000Z" },
      calls: listed,
      counts,
      outOfScope: 0,
      problems,
      reads: 3,
      alerting: false,
    };
  };
  const finished = new Date("2026-11-23T09:30:00.000Z");

  it("says when it ran and what it covers, counts every status, and lists the calls not verified", () => {
    // Through the store's own function: the page reads what the API serves.
    const view = reconciliationView(storedOf(run(calls), finished));
    expect(view.summary).toBe(
      "Run finished 2026-11-23 09:30:00 UTC, covering calls that started from 2026-11-22 08:00:00 to 2026-11-23 08:00:00 UTC: 4 call(s) with a team member.",
    );
    expect(view.counts.map((row) => [row.status, row.label, row.count, row.alert])).toEqual([
      ["verified", "verified", 1, false],
      ["exempt", "exempt by a rule", 1, false],
      ["enforced", "refused or ended by enforcement", 0, false],
      ["incomplete", "recording incomplete", 1, true],
      ["never-seen", "never seen by us", 1, true],
    ]);
    expect(view.alert).toBe("2 call(s) need a person: 1 recording incomplete, 1 never seen by us.");
    expect(view.rows).toEqual([
      {
        correlationId: "c-never",
        status: "never-seen",
        label: "never seen by us",
        alert: true,
        teams: "team-a, team-b",
        startedAt: "2026-11-23 09:00:00",
        duration: "1:15",
        serverCallIds: "—",
        mismatch: [
          "no ledger entry carries this correlationId",
          "recording r-never: ACS: 1 chunk(s), 1:00; ours: none — not archived by us",
        ],
      },
      {
        correlationId: "c-short",
        status: "incomplete",
        label: "recording incomplete",
        alert: true,
        teams: "team-a",
        startedAt: "— (ACS logged no start)",
        duration: "—",
        serverCallIds: "s-2, s-1",
        mismatch: [
          "r-short: 1 of 2 chunks archived",
          "recording r-short: ACS: 2 chunk(s), 2:05; ours: 1 chunk(s), 1:02",
        ],
      },
      {
        correlationId: "c-exempt",
        status: "exempt",
        label: "exempt by a rule",
        alert: false,
        teams: "team-b",
        startedAt: "2026-11-23 09:00:00",
        duration: "1:15",
        serverCallIds: "—",
        mismatch: ["exempt: rule internal"],
      },
    ]);
    expect(view.teams).toEqual(["team-a", "team-b"]);
    expect([view.leftOut, view.problems]).toEqual(["", []]);
  });

  it.each<[string, ReconciledCall[], string[], { alert: string; rows: number; leftOut: string; problems: string[] }]>([
    ["a clean run: no alert, nothing listed", [calls[0]!], [], { alert: "", rows: 0, leftOut: "", problems: [] }],
    [
      "unreadable records are shown even when every call is fine",
      [calls[0]!],
      ["blob insights-logs-callsummary/…/PT1H.json line 3: not JSON"],
      { alert: "", rows: 0, leftOut: "", problems: ["blob insights-logs-callsummary/…/PT1H.json line 3: not JSON"] },
    ],
    ["an exempt call is listed but does not alert", [calls[3]!], [], { alert: "", rows: 1, leftOut: "", problems: [] }],
  ])("%s", (_name, listed, problems, expected) => {
    const view = reconciliationView(storedOf(run(listed, problems), finished));
    expect({ alert: view.alert, rows: view.rows.length, leftOut: view.leftOut, problems: view.problems }).toEqual(
      expected,
    );
  });

  it("says how many calls the API left out of the list", () => {
    const stored = { ...storedOf(run(calls), finished), callsLeftOut: 12 };
    expect(reconciliationView(stored).leftOut).toBe("12 more call(s) not verified are not listed.");
  });

  it("counts missing from an answer are 0; an unknown status alerts rather than hides", () => {
    const stored = storedOf(run(calls), finished);
    const view = reconciliationView({
      ...stored,
      counts: { "never-seen": 2 },
      calls: [{ ...calls[1]!, status: "lost" as never }],
    });
    expect(view.counts.map((row) => row.count)).toEqual([0, 0, 0, 0, 2]);
    expect(view.rows[0]).toMatchObject({ label: "lost", alert: true });
  });

  it.each([
    [undefined, ""],
    ["", ""],
    ["  ", ""],
    [" team-a ", "team=team-a"],
    ["a&b=c", "team=a%26b%3Dc"],
  ])("reconcileQuery(%j) → %j", (team, expected) => {
    expect(reconcileQuery(team)).toBe(expected);
  });

  it("explains the API's 404 with what to configure", () => {
    expect(NO_RECONCILIATION).toContain("RECONCILE_EVERY_SECONDS");
    expect(NO_RECONCILIATION).toMatch(/^No reconciliation has run yet\./);
  });
});

describe("the reviewer's list and the recording view", () => {
  const ALICE = "8:acs:5e1f7a2c-0d3b-4c8e-9a61-2f4b8c7d9e10_00000001-alice";
  const alice = { id: ALICE, displayName: "Alice Smith", role: "agent", location: "GB-ENG" };
  const customer = { id: "4:+447700900123", displayName: null };

  it.each([
    [ALICE, "8:acs:…000001-alice"],
    ["8:acs:r_short", "8:acs:r_short"],
    ["4:+447700900123", "+447700900123"],
    ["8:orgid:6c0f3a52-8d1e-4b7a-9f2c-1e3d5a7b9c01", "8:orgid:…1e3d5a7b9c01"],
    ["28:bot", "28:bot"],
  ])("shortId(%s) = %s", (id, short) => expect(shortId(id)).toBe(short));

  it("labels people by name and role, or by shortened id when the directory does not know them", () => {
    expect(personLabel(alice)).toEqual({ name: "Alice Smith", detail: "agent", named: true });
    expect(personLabel(customer)).toEqual({ name: "+447700900123", detail: "not in the directory", named: false });
    expect(peopleOf({ participants: [ALICE] })).toEqual([{ id: ALICE, displayName: null }]);
    expect(peopleOf({ people: [alice], participants: [ALICE] })).toEqual([alice]);
  });

  it.each([
    [{}, "—", "unknown"],
    [{ integrity: { archive: "verified", lastVerification: null } }, "verified at archive", "ok"],
    [
      { integrity: { archive: "verified", lastVerification: { at: "2026-12-04T10:00:00Z", ok: true } } },
      "verified",
      "ok",
    ],
    [
      { integrity: { archive: "verified", lastVerification: { at: "2026-12-04T10:00:00Z", ok: false } } },
      "FAILED last verify",
      "failed",
    ],
  ])("integrity %j → %s", (item, label, state) => expect(integrityBadge(item)).toMatchObject({ label, state }));

  it.each([
    [{ reviewStatus: null }, "—"],
    [{}, "—"],
    [{ reviewStatus: "" }, "—"],
    [{ reviewStatus: "reviewed" }, "reviewed"],
  ])("review %j → %s", (item, text) => expect(reviewText(item)).toBe(text));

  it.each([
    ["inbound", "inbound"],
    [null, "—"],
    ["sideways", "—"],
  ])("direction %s → %s", (direction, text) => expect(directionText(direction)).toBe(text));

  const items = [
    { id: "a", startedAt: "2026-12-04T10:00:00Z", durationSeconds: 30, team: "desk", people: [alice] },
    { id: "b", startedAt: "2026-12-04T09:00:00Z", durationSeconds: 90, team: "desk", people: [customer] },
    { id: "c", startedAt: "2026-12-04T11:00:00Z", durationSeconds: 30, team: "alpha", people: [] },
  ];
  it.each<[SortKey, "ascending" | "descending", string[]]>([
    ["startedAt", "descending", ["c", "a", "b"]],
    ["startedAt", "ascending", ["b", "a", "c"]],
    ["durationSeconds", "descending", ["b", "a", "c"]], // ties keep the given order
    ["durationSeconds", "ascending", ["a", "c", "b"]],
    ["team", "ascending", ["c", "a", "b"]],
    ["people", "ascending", ["c", "b", "a"]], // "" < "+44…" < "alice smith"
  ])("sorts by %s %s", (key, direction, order) =>
    expect(sortItems(items, key, direction).map((i) => i.id)).toEqual(order),
  );

  const chunks = [
    { index: 0, durationMs: 10_000 },
    { index: 1, durationMs: 10_000 },
    { index: 2, durationMs: 5_000 },
  ];
  it.each([
    [0, { index: 0, seconds: 0 }],
    [9_999, { index: 0, seconds: 9.999 }],
    [10_000, { index: 1, seconds: 0 }],
    [24_000, { index: 2, seconds: 4 }],
    [99_000, { index: 2, seconds: 5 }],
  ])("seekTarget(%s ms) = %j", (ms, target) => expect(seekTarget(ms, chunks)).toEqual(target));
  it("has nowhere to seek without chunks", () => expect(seekTarget(0, [])).toBeUndefined());

  it("writes timeline events as rows, naming participants", () => {
    const rows = timelineRows(
      [
        { kind: "joined", at: "2026-12-04T10:00:01.000Z", audioMs: null, who: ALICE, text: "Joined" },
        {
          kind: "paused",
          at: "2026-12-04T10:00:20.000Z",
          audioMs: 10_000,
          who: "agent-carol",
          reason: "card-capture",
          text: "Recording paused for 10 s",
        },
        { kind: "announcement", at: null, audioMs: null, text: "Recording announcement played (time not recorded)" },
      ],
      [alice],
    );
    expect(rows.map((r) => [r.kind, r.when, r.audio, r.who, r.why, r.pause])).toEqual([
      ["joined", "10:00:01", "—", "Alice Smith", "", false],
      ["paused", "10:00:20", "0:10", "agent-carol", "card-capture", true],
      ["announcement", "—", "—", "", "", false],
    ]);
  });

  it.each([
    [[0, 0.5, 1, 0.25], 2, [0.5, 1]],
    [[0, 0.5, 1, 0.25], 4, [0, 0.5, 1, 0.25]],
    [[0.2, 0.9], 4, [0.2, 0.2, 0.9, 0.9]],
    [[], 3, []],
  ])("barHeights(%j, %s) = %j", (peaks, bars, heights) => expect(barHeights(peaks, bars)).toEqual(heights));

  it("labels each waveform with whoever is on its channel", () => {
    const map = [
      { participantId: ALICE, channel: 0 },
      { participantId: "4:+447700900123", channel: 1 },
    ];
    expect(waveformLabels(2, map, [alice])).toEqual(["Alice Smith", "+447700900123"]);
    expect(waveformLabels(1, [], [alice])).toEqual(["All speakers"]);
    expect(waveformLabels(3, map, [])).toEqual(["8:acs:…000001-alice", "+447700900123", "Channel 2"]);
  });

  it("sends the search text as q", () => {
    expect(query({ q: " alice smith " })).toEqual({ q: "alice smith", limit: "50" });
  });
});
