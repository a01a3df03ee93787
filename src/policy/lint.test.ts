import { describe, expect, it } from "vitest";
import { lintPolicies } from "./lint.js";
import { parsePolicyFile } from "./load.js";

const file = (name: string, body: string) => parsePolicyFile(name, `version: 1\n${body}`);
const messages = (...files: ReturnType<typeof file>[]) =>
  lintPolicies(files, "2026-11-22").map((w) => `${w.where}: ${w.message}`);

describe("policy lint warnings", () => {
  it("a member listed in two teams, or covered by another team's number prefix", () => {
    const a = file(
      "a.yaml",
      'team: { id: a, name: A }\nmembers: ["8:acs:r_x", "+4420*"]\nrules: [{ id: all, mode: required }]\n',
    );
    const b = file(
      "b.yaml",
      'team: { id: b, name: B }\nmembers: ["8:acs:r_x", "+442071234567"]\nrules: [{ id: all, mode: never }]\n',
    );
    expect(messages(a, b)).toEqual([
      "b.yaml:3:11: member 8:acs:r_x is also in team a (a.yaml:3:11): calls of this member are judged by both teams",
      "b.yaml:3:24: member +442071234567 overlaps +4420*, which is also in team a (a.yaml:3:24): calls of this member are judged by both teams",
    ]);
  });

  it("a member listed twice in one team", () => {
    const a = file(
      "a.yaml",
      'team: { id: a, name: A }\nmembers: ["+442071234567", "+442071234567"]\nrules: [{ id: all, mode: required }]\n',
    );
    expect(messages(a)).toEqual(["a.yaml:3:28: member +442071234567 is already listed in this team (a.yaml:3:11)"]);
  });

  it.each([
    [
      "a rule after a catch-all",
      "rules:\n  - { id: all, mode: required }\n  - { id: pstn, match: { counterpart: pstn }, mode: never }\n",
      "6:5: rule pstn is unreachable: rule all above matches all its calls first (every call)",
    ],
    [
      "a narrower rule after a broader one",
      'rules:\n  - { id: uk, match: { numbers: "+44*" }, mode: required }\n  - { id: london, match: { numbers: "+4420*", direction: inbound }, mode: never }\n  - { id: rest, mode: never }\n',
      "6:5: rule london is unreachable: rule uk above",
    ],
    [
      "a rule after an exemption that covers it",
      "exemptions: [{ id: dnr, reason: r, match: { counterpart: [pstn, acs] } }]\nrules:\n  - { id: pstn, match: { counterpart: pstn }, mode: required }\n  - { id: rest, mode: never }\n",
      "rule pstn is unreachable: exemption dnr applies to all its calls first",
    ],
    [
      "a rule that can never match",
      "rules:\n  - { id: odd, match: { direction: internal, counterpart: pstn }, mode: required }\n  - { id: rest, mode: never }\n",
      "rule odd can never match: direction internal means",
    ],
    [
      "an expired exemption",
      "exemptions: [{ id: old, reason: r, until: 2025-01-31, match: { counterpart: pstn } }]\nrules: [{ id: all, mode: required }]\n",
      "exemption old expired after 2025-01-31",
    ],
    [
      "a 0% sample",
      "rules:\n  - { id: none, mode: best-effort, samplePercent: 0 }\n",
      "rule none samples 0% of its calls",
    ],
    [
      "rules that leave calls undecided",
      "rules:\n  - { id: pstn, match: { counterpart: pstn }, mode: required }\n",
      "calls of team a that match no rule are not recorded (no-rule-matched)",
    ],
  ])("%s", (_name, body, expected) => {
    const warnings = messages(file("a.yaml", `team: { id: a, name: A }\nmembers: ["8:acs:r_x"]\n${body}`));
    expect(warnings.join("\n")).toContain(expected);
  });

  it.each([
    [
      "rules that differ by direction",
      "rules:\n  - { id: in, match: { direction: inbound }, mode: required }\n  - { id: out, match: { direction: outbound }, mode: required }\n  - { id: rest, mode: never }\n",
    ],
    [
      "a personal exemption before a catch-all rule",
      'exemptions: [{ id: gp, reason: r, members: ["8:acs:r_x"] }]\nrules: [{ id: all, mode: required }]\n',
    ],
    [
      "an exemption still in force",
      "exemptions: [{ id: trial, reason: r, until: 2027-01-31, match: { counterpart: pstn } }]\nrules: [{ id: all, mode: required }]\n",
    ],
    [
      "different time windows",
      'rules:\n  - { id: day, match: { time: { zone: UTC, windows: [{ from: "08:00", to: "18:00" }] } }, mode: required }\n  - { id: night, match: { time: { zone: UTC, windows: [{ from: "18:00", to: "08:00" }] } }, mode: never }\n  - { id: rest, mode: never }\n',
    ],
  ])("no warning for %s", (_name, body) => {
    expect(messages(file("a.yaml", `team: { id: a, name: A }\nmembers: ["8:acs:r_x"]\n${body}`))).toEqual([]);
  });
});
