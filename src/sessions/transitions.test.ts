import { describe, expect, it } from "vitest";
import { recordDecision, skipDecision as skip } from "./test-fixtures.js";
import { dueActions } from "./transitions.js";

const record = recordDecision();

describe("dueActions", () => {
  it("announces once recording is active on our connection, when the decision has an announcement", () => {
    const announced = recordDecision({ announcement: { text: "This call is recorded." } });
    const live = { rang: true, started: true, callConnectionId: "c" };
    expect(dueActions({ ...live, recordingState: "active" }, announced)).toContain("announce");
    expect(dueActions({ ...live, recordingState: "inactive" }, announced)).not.toContain("announce");
    expect(dueActions({ ...live, recordingState: "active" }, record)).not.toContain("announce");
    expect(dueActions({ ...live, callConnectionId: undefined, recordingState: "active" }, announced)).not.toContain(
      "announce",
    );
  });

  it.each([
    { rang: false, started: false, callConnectionId: undefined, decision: record, expected: [] },
    { rang: true, started: false, callConnectionId: undefined, decision: record, expected: ["ring-watch"] },
    {
      rang: false,
      started: true,
      callConnectionId: undefined,
      decision: record,
      expected: ["connect", "enforce-start"],
    },
    {
      rang: true,
      started: true,
      callConnectionId: "c",
      decision: record,
      expected: ["connect", "start-recording", "enforce-start"],
    },
    {
      rang: true,
      started: false,
      callConnectionId: "c",
      decision: record,
      expected: ["ring-watch", "start-recording", "enforce-start"],
    },
    {
      rang: false,
      started: false,
      callConnectionId: "c",
      decision: record,
      expected: ["start-recording", "enforce-start"],
    },
    { rang: true, started: true, callConnectionId: undefined, decision: skip, expected: [] },
    { rang: false, started: true, callConnectionId: "c", decision: skip, expected: [] },
  ])(
    "rang=$rang started=$started connection=$callConnectionId record=$decision.record → $expected",
    ({ decision, expected, ...session }) => {
      expect(dueActions(session, decision)).toEqual(expected);
    },
  );
});
