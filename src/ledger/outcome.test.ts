import { describe, expect, it } from "vitest";
import { parseSince } from "../cli/ledger-commands.js";
import { isGap, outcomeOfDecision, type LedgerEntry } from "./outcome.js";
import type { Decision } from "../policy/types.js";

const source = { teamId: "t", ruleId: "r", policyFile: "t.yaml", policyHash: "h" };

describe("ledger outcome of a decision", () => {
  it.each([
    ["no decision", undefined, "not-required"],
    ["recorded", { record: true, mode: "required", explanation: "x", ...source } as unknown as Decision, "pending"],
    ["a never rule", { record: false, reason: "rule", explanation: "x", ...source } as Decision, "exempt"],
    ["an exemption", { record: false, reason: "exempt", explanation: "x", ...source } as Decision, "exempt"],
    [
      "outside the QA sample",
      { record: false, reason: "not-sampled", explanation: "x", ...source } as Decision,
      "not-required",
    ],
    ["nobody in a team", { record: false, reason: "no-team-member", explanation: "x" } as Decision, "not-required"],
  ])("%s → %s", (_what, decision, outcome) => {
    expect(outcomeOfDecision(decision).outcome).toBe(outcome);
  });
});

describe("gaps", () => {
  const now = new Date("2026-11-22T12:00:00Z");
  const entry = (outcome: LedgerEntry["outcome"], endedAt?: string): LedgerEntry => ({
    serverCallId: "c",
    outcome,
    ...(endedAt ? { endedAt } : {}),
    updatedAt: "2026-11-22T11:59:00Z",
  });
  it.each([
    ["failed", entry("failed"), true],
    ["pending past the grace period", entry("pending", "2026-11-22T11:00:00Z"), true],
    ["pending within the grace period", entry("pending", "2026-11-22T11:45:00Z"), false],
    ["recorded", entry("recorded", "2026-11-22T01:00:00Z"), false],
    ["exempt", entry("exempt", "2026-11-22T01:00:00Z"), false],
    ["not required", entry("not-required", "2026-11-22T01:00:00Z"), false],
  ])("%s → %s", (_what, e, gap) => {
    expect(isGap(e, now, 30 * 60_000)).toBe(gap);
  });

  it.each([
    ["24h", "2026-11-21T12:00:00.000Z"],
    ["90m", "2026-11-22T10:30:00.000Z"],
    ["7d", "2026-11-15T12:00:00.000Z"],
    ["2026-11-20T00:00:00Z", "2026-11-20T00:00:00.000Z"],
    ["yesterday", undefined],
  ])("--since %s → %s", (value, expected) => {
    expect(parseSince(value, now)?.toISOString()).toBe(expected);
  });
});
