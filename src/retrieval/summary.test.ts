import { describe, expect, it } from "vitest";
import { ALICE, PHONE, sampleManifest } from "./test-fixtures.js";
import { cursorCodec, exportRequest, filtersOf, listQuery } from "./query.js";
import { sameBytesOtherText } from "../../test/support/base64url.js";
import {
  archivedManifest,
  matchesFilters,
  participantKey,
  publicSummary,
  summarize,
  type RecordingSummary,
  directionOf,
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
      caller: PHONE,
      callee: ALICE,
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

  it("needs an export's time range, takes a label, and refuses any folder (exports go to <team>/<export id>)", () => {
    expect(exportRequest.safeParse({ from: "2026-11-01" }).success).toBe(false);
    expect(exportRequest.safeParse({ from: "2026-11-01", to: "2026-12-01", label: "case 1234_b.c" }).success).toBe(
      true,
    );
    for (const folder of ["case-1", "legal/case-42", "../x"])
      expect(exportRequest.safeParse({ from: "2026-11-01", to: "2026-12-01", folder }).success).toBe(false);
    for (const label of ["", "a/b", "x".repeat(101), "<script>"])
      expect(exportRequest.safeParse({ from: "2026-11-01", to: "2026-12-01", label }).success).toBe(false);
  });

  it("seals cursors: round trip for the same scope only, nothing readable, every tampered byte refused", () => {
    const codec = cursorCodec("k".repeat(32));
    const cursor = { score: 1_795_000_000_000, recordingId: "legal-rec/+=" };
    const sealed = codec.encode(cursor, "team:desk");
    expect(codec.decode(sealed, "team:desk")).toEqual(cursor);
    expect(codec.decode(sealed, "team:legal")).toBeUndefined();
    expect(codec.decode(sealed, "all-teams")).toBeUndefined();
    expect(cursorCodec("x".repeat(32)).decode(sealed, "team:desk")).toBeUndefined();
    expect(Buffer.from(sealed, "base64url").toString("latin1")).not.toMatch(/legal|1795/);
    expect(codec.encode(cursor, "team:desk")).not.toBe(sealed); // a fresh IV each time
    const bytes = Buffer.from(sealed, "base64url");
    for (let i = 0; i < bytes.length; i++) {
      const tampered = Buffer.from(bytes);
      tampered[i] = tampered[i]! ^ 0x01;
      expect(codec.decode(tampered.toString("base64url"), "team:desk")).toBeUndefined();
    }
    // The same bytes spelled otherwise (the last character's unused bits): still not the cursor handed out.
    const odd = [1, 2, 3]
      .map((n) => codec.encode({ ...cursor, recordingId: "r".repeat(n) }, "team:desk"))
      .find((text) => Buffer.from(text, "base64url").length % 3 !== 0)!;
    expect(Buffer.from(sameBytesOtherText(odd), "base64url").equals(Buffer.from(odd, "base64url"))).toBe(true);
    expect(codec.decode(odd, "team:desk")).toBeDefined();
    expect(codec.decode(sameBytesOtherText(odd), "team:desk")).toBeUndefined();
    for (const foreign of [
      "not-a-cursor",
      Buffer.from('{"s":1,"r":"legal-rec"}').toString("base64url"),
      "",
      "a.b",
      sealed.slice(0, 20),
    ])
      expect(codec.decode(foreign, "team:desk")).toBeUndefined();
  });
});

describe("a call's direction for its team", () => {
  const members = new Set(["8:acs:r_a", "8:acs:r_b"]);
  const isMember = (id: string) => members.has(id);
  it.each([
    [["8:acs:r_a", "8:acs:r_b"], "8:acs:r_a", "internal"],
    [["8:acs:r_a", "4:+447700900123"], "8:acs:r_a", "outbound"],
    [["8:acs:r_a", "4:+447700900123"], "4:+447700900123", "inbound"],
    [["8:acs:r_a", "4:+447700900123"], null, null],
    [["8:acs:r_a", "4:+447700900123"], undefined, null],
  ])("%j, caller %s → %s", (participants, caller, direction) =>
    expect(directionOf({ participants, caller }, isMember)).toBe(direction),
  );
});
