import { describe, expect, it } from "vitest";
import { NO_FACTS, factWritesOf, mergeFacts, type FactUpdate, type KnownFacts } from "./facts.js";

const T0 = "2026-01-01T10:00:00.000Z";
const T1 = "2026-01-01T10:00:01.000Z";
const known = (facts: Partial<KnownFacts>): KnownFacts => ({ ...NO_FACTS, ...facts });

describe("mergeFacts", () => {
  it.each<{ name: string; before: Partial<KnownFacts>; update: FactUpdate; after: Partial<KnownFacts> }>([
    { name: "nothing told, nothing changes", before: { caller: "a" }, update: {}, after: { caller: "a" } },
    {
      name: "the caller overwrites a caller",
      before: { caller: "hint" },
      update: { caller: "a" },
      after: { caller: "a" },
    },
    { name: "a hint fills an unknown caller", before: {}, update: { callerHint: "h" }, after: { caller: "h" } },
    {
      name: "a hint never overwrites a caller",
      before: { caller: "a" },
      update: { callerHint: "h" },
      after: { caller: "a" },
    },
    {
      name: "caller and hint in one update: the caller wins",
      before: {},
      update: { caller: "a", callerHint: "h" },
      after: { caller: "a" },
    },
    {
      name: "correlationId: the latest told",
      before: { correlationId: "c1" },
      update: { correlationId: "c2" },
      after: { correlationId: "c2" },
    },
    {
      name: "an empty value tells nothing",
      before: { correlationId: "c1" },
      update: { correlationId: "" },
      after: { correlationId: "c1" },
    },
    { name: "the callee: the latest told", before: { callee: "b" }, update: { callee: "c" }, after: { callee: "c" } },
    { name: "an earlier start wins", before: { startedAt: T1 }, update: { startedAt: T0 }, after: { startedAt: T0 } },
    { name: "a later start loses", before: { startedAt: T0 }, update: { startedAt: T1 }, after: { startedAt: T0 } },
    {
      name: "the same moment written differently: the one known stays",
      before: { startedAt: T0 },
      update: { startedAt: "2026-01-01T10:00:00Z" },
      after: { startedAt: T0 },
    },
    {
      name: "a start that is no moment tells nothing",
      before: {},
      update: { startedAt: "soon" },
      after: { startedAt: undefined },
    },
    {
      name: "participants: a union, sorted",
      before: { participants: ["b", "c"] },
      update: { participants: ["a", "b"] },
      after: { participants: ["a", "b", "c"] },
    },
    {
      name: "flags turn on",
      before: {},
      update: { rang: true, started: true, ended: true },
      after: { rang: true, started: true, ended: true },
    },
    {
      name: "flags never turn off",
      before: { rang: true, ended: true },
      update: { rang: false, ended: false },
      after: { rang: true, ended: true },
    },
    {
      name: "the first CallStarted arrival stays",
      before: { startedSeenAt: T1 },
      update: { startedSeenAt: T0 },
      after: { startedSeenAt: T1 },
    },
    {
      name: "the first IncomingCall arrival is kept",
      before: {},
      update: { rangSeenAt: T0 },
      after: { rangSeenAt: T0 },
    },
  ])("$name", ({ before, update, after }) => {
    expect(mergeFacts(known(before), update)).toEqual(known(after));
  });

  it("does not change what it was given", () => {
    const before = known({ participants: ["a"], caller: "a" });
    mergeFacts(before, { participants: ["b"], caller: "b" });
    expect(before).toEqual(known({ participants: ["a"], caller: "a" }));
  });
});

describe("factWritesOf", () => {
  it("turns one update into the writes of its rules, in the table's order", () => {
    expect(
      factWritesOf({
        correlationId: "c",
        participants: ["a", "b"],
        callerHint: "a",
        started: true,
        startedAt: T0,
        startedSeenAt: T1,
        ended: false,
      }),
    ).toEqual({
      set: { correlationId: "c", started: "1" },
      ifAbsent: [
        ["caller", "a"],
        ["startedSeenAt", T1],
      ],
      ifEarlier: [{ field: "startedAt", ms: Date.parse(T0), value: T0 }],
      add: [{ set: "participants", members: ["a", "b"] }],
    });
  });
});
