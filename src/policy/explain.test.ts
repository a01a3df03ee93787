import { describe, expect, it } from "vitest";
import { explainCall } from "./explain.js";
import { parsePolicyFile } from "./load.js";
import { ALICE, BOB, CAROL, ERIN, organisation, UK_MOBILE, UNSAMPLED_KEY, WELFARE_LINE } from "./test-fixtures.js";

const policies = organisation();
const at = "2026-11-23T09:00:00Z";

describe("explainCall", () => {
  it("names the deciding rule, file and hash, and what will happen", () => {
    const { decision, text } = explainCall(policies, { participants: [ALICE, BOB], caller: ALICE, callee: BOB, at });
    expect(decision.record).toBe(true);
    const desk = policies.find((p) => p.team.id === "desk")!;
    expect(text).toContain(
      `RECORDED (required)\n  Decided by team desk, rule all, in desk.yaml (sha256 ${desk.hash}).`,
    );
    expect(text).toContain("- exemption welfare-line: does not match — no counterpart number matches +448000309999");
    expect(text).toContain("- rule all: MATCHES (no conditions)");
    expect(text).toContain("If recording has not started 10 s after the call starts: hang up the call.");
    expect(text).toContain("Retention: keep for 2555 days (about 7 years); no legal hold.");
  });

  it("an exemption: its reason, and that the metadata is kept", () => {
    const { text } = explainCall(policies, {
      participants: [ALICE, WELFARE_LINE],
      caller: ALICE,
      callee: WELFARE_LINE,
      at,
    });
    expect(text).toContain("NOT RECORDED (exempt)");
    expect(text).toContain("desk exempts it: Employee assistance line.");
    expect(text).toContain("The call's metadata is still kept in the ledger.");
  });

  it("every team's part, including rules skipped and why", () => {
    const { text } = explainCall(policies, {
      participants: [UK_MOBILE, CAROL, ERIN],
      caller: UK_MOBILE,
      callee: CAROL,
      at,
      callKey: UNSAMPLED_KEY,
    });
    expect(text).toContain("Team legal");
    expect(text).toContain("Team support");
    expect(text).toContain(
      "- rule colleagues: does not match — a counterpart is in no team (external); wanted internal",
    );
    expect(text).toMatch(
      /- rule weekend-nights: does not match — Mon 04:00 America\/New_York is outside fri,sat 22:00–06:00/,
    );
    expect(text).toContain("would record it best-effort, but the call is outside the QA sample");
    expect(text).toMatch(/20% QA sample: this call's bucket is \d+ of 10000, outside the sample/);
    expect(text).toContain("Decided by team legal, rule pstn");
  });

  it("how long the recording lasts and whether it may be stopped on request", () => {
    const { text } = explainCall(policies, { participants: [ALICE, BOB], caller: ALICE, callee: BOB, at });
    expect(text).toContain(
      `  Recording lasts while ${ALICE}, ${BOB} are on the call: stopped when the last of them leaves, started again if one comes back.`,
    );
    expect(text).toContain("  Stopping on request: not allowed (a required recording).");
  });

  it("a best-effort recording that may be stopped, lasting until the call ends", () => {
    const support = parsePolicyFile(
      "support.yaml",
      `version: 1
team: { id: support, name: Support, until: call-end }
members: ["${CAROL}"]
rules:
  - id: all
    mode: best-effort
    stop: { allowed: true, reasons: [customer-objection] }
`,
    );
    const { text } = explainCall([support], { participants: [UK_MOBILE, CAROL], caller: UK_MOBILE, callee: CAROL, at });
    expect(text).toContain("  Recording lasts until the call ends.");
    expect(text).toContain("  Stopping on request: allowed, for customer-objection.");
  });

  it("nobody in a team", () => {
    expect(explainCall(policies, { participants: ["8:acs:x", "8:acs:y"] }).text).toMatch(
      /^NOT RECORDED \(no-team-member\)/,
    );
  });
});
