import { describe, expect, it } from "vitest";
import { CallsFileError, parseCallsJsonl } from "./calls-file.js";
import { replayCalls } from "./diff.js";
import { parsePolicyFile } from "./load.js";
import {
  ALICE,
  BOB,
  CAROL,
  DESK,
  organisation,
  SAMPLED_KEY,
  STRANGER,
  SUPPORT,
  UK_MOBILE,
  WELFARE_LINE,
} from "./test-fixtures.js";

const line = (value: object) => JSON.stringify(value);

describe("calls file (ledger export, JSON Lines)", () => {
  it("reads facts, ignores the ledger's other fields, and samples on the serverCallId", () => {
    const text = [
      "# exported 2026-11-23",
      line({
        serverCallId: "s1",
        participants: [ALICE, BOB],
        caller: ALICE,
        callee: BOB,
        at: "2026-11-23T09:00:00Z",
        outcome: "recorded",
      }),
      "",
      line({ serverCallId: "s2", participants: [], callKey: "k2" }),
    ].join("\n");
    expect(parseCallsJsonl("calls.jsonl", text)).toEqual([
      {
        serverCallId: "s1",
        participants: [ALICE, BOB],
        caller: ALICE,
        callee: BOB,
        at: "2026-11-23T09:00:00Z",
        callKey: "s1",
      },
      { serverCallId: "s2", participants: [], callKey: "k2" },
    ]);
  });

  it("names the line of every bad entry", () => {
    const text = [
      "{not json",
      line({ participants: [] }),
      line({ serverCallId: "s", participants: [], at: "yesterday" }),
    ].join("\n");
    try {
      parseCallsJsonl("calls.jsonl", text);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(CallsFileError);
      const problems = (error as CallsFileError).problems;
      expect(problems[0]).toMatch(/^calls\.jsonl:1: not JSON/);
      expect(problems[1]).toBe("calls.jsonl:2: serverCallId: Invalid input: expected string, received undefined");
      expect(problems[2]).toMatch(/^calls\.jsonl:3: at: an ISO 8601 time with offset/);
    }
  });
});

describe("replaying calls against two policy sets", () => {
  const before = organisation();
  const calls = parseCallsJsonl(
    "calls.jsonl",
    [
      line({
        serverCallId: "internal",
        participants: [ALICE, BOB],
        caller: ALICE,
        callee: BOB,
        at: "2026-11-23T09:00:00Z",
      }),
      line({
        serverCallId: "welfare",
        participants: [ALICE, WELFARE_LINE],
        caller: ALICE,
        callee: WELFARE_LINE,
        at: "2026-11-23T09:00:00Z",
      }),
      line({
        serverCallId: SAMPLED_KEY,
        participants: [UK_MOBILE, CAROL],
        caller: UK_MOBILE,
        callee: CAROL,
        at: "2026-11-23T09:00:00Z",
      }),
      line({ serverCallId: "strangers", participants: [STRANGER, UK_MOBILE], caller: STRANGER, callee: UK_MOBILE }),
    ].join("\n"),
  );

  it("lists nothing when the policies are the same", () => {
    expect(replayCalls(before, organisation(), calls)).toEqual({ replayed: 4, changed: [] });
  });

  it("lists each call whose decision changes, and what changed", () => {
    const after = before.map((policy) => {
      if (policy.team.id === "desk") {
        // The welfare-line exemption removed, retention raised to 10 years.
        const text = DESK.replace(/ {2}- id: welfare-line\n( {4}.*\n){2}/, "").replace("days: 2555", "days: 3650");
        return parsePolicyFile("desk.yaml", text);
      }
      if (policy.team.id === "support")
        return parsePolicyFile("support.yaml", SUPPORT.replace("samplePercent: 20", "samplePercent: 0"));
      return policy;
    });
    const result = replayCalls(before, after, calls);
    expect(result.replayed).toBe(4);
    expect(result.changed.map((c) => [c.call.serverCallId, c.changes])).toEqual([
      ["internal", ["retention: 2555 days → 3650 days"]],
      ["welfare", ["recorded: no → yes", "decided by: desk/welfare-line → desk/all"]],
      [SAMPLED_KEY, ["recorded: yes → no"]],
    ]);
  });

  it("lists a change of how long recordings last and of stopping on request", () => {
    const after = before.map((policy) =>
      policy.team.id === "support"
        ? parsePolicyFile(
            "support.yaml",
            SUPPORT.replace(
              "    samplePercent: 20\n",
              "    samplePercent: 20\n    until: call-end\n    stop: { allowed: true, reasons: [customer-objection] }\n",
            ),
          )
        : policy,
    );
    expect(replayCalls(before, after, calls).changed.map((c) => [c.call.serverCallId, c.changes])).toEqual([
      [
        SAMPLED_KEY,
        [
          "lasts until: last-in-scope-leaves → call-end",
          "stop on request: not allowed → allowed for customer-objection",
        ],
      ],
    ]);
  });
});
