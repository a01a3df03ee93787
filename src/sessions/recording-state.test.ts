import { describe, expect, it } from "vitest";
import {
  callRecordingState,
  decideRecordingState,
  isPlaceholderStart,
  microsOf,
  needsAcsCheck,
  parseRecordingFacts,
  type RecordingFacts,
  type RecordingUpdate,
} from "./recording-state.js";

const T = 1_741_165_110_000_000; // 2025-03-05T08:58:30Z in µs
const facts = (changes: Partial<RecordingFacts> = {}): RecordingFacts => ({
  state: "active",
  at: T,
  initial: false,
  failed: false,
  source: "event",
  ...changes,
});
const placeholder = facts({ state: "inactive", at: T - 100, initial: true });
const event = (state: "active" | "inactive", at: number, initial = false): RecordingUpdate => ({
  kind: "event",
  state,
  at,
  initial,
});

describe("decideRecordingState", () => {
  const cases: {
    name: string;
    current: RecordingFacts | undefined;
    update: RecordingUpdate;
    next: Partial<RecordingFacts>;
    changed: boolean;
    stale?: boolean;
    conflict?: boolean;
    check: boolean;
  }[] = [
    {
      name: "our start's answer on a recording never heard of: inactive, before activation",
      current: undefined,
      update: { kind: "started" },
      next: { state: "inactive", initial: true, at: 0, source: "start" },
      changed: true,
      check: false,
    },
    {
      name: "our start's answer after the events: nothing to change",
      current: facts(),
      update: { kind: "started" },
      next: facts(),
      changed: false,
      check: false,
    },
    {
      name: "recorded order: the placeholder inactive first",
      current: undefined,
      update: event("inactive", T - 100, true),
      next: { state: "inactive", initial: true },
      changed: true,
      check: false,
    },
    {
      name: "recorded order: then active",
      current: placeholder,
      update: event("active", T),
      next: { state: "active", initial: false, at: T },
      changed: true,
      check: false,
    },
    {
      name: "swapped: the placeholder inactive after active changes nothing and needs no check",
      current: facts(),
      update: event("inactive", T - 100, true),
      next: facts(),
      changed: false,
      stale: true,
      check: false,
    },
    {
      name: "active after our start's answer (no placeholder seen)",
      current: facts({ state: "inactive", at: 0, initial: true, source: "start" }),
      update: event("active", T),
      next: { state: "active", at: T, initial: false },
      changed: true,
      check: false,
    },
    {
      name: "a real stop (newer inactive) is taken and checked with ACS",
      current: facts(),
      update: event("inactive", T + 5_000_000),
      next: { state: "inactive", at: T + 5_000_000 },
      changed: true,
      check: true,
    },
    {
      name: "a stale real inactive (older than the active held) is not taken, but ACS is asked",
      current: facts(),
      update: event("inactive", T - 1),
      next: facts(),
      changed: false,
      stale: true,
      conflict: true,
      check: true,
    },
    {
      name: "a stale active after a newer pause is not taken; ACS is asked",
      current: facts({ state: "inactive", at: T + 10 }),
      update: event("active", T),
      next: facts({ state: "inactive", at: T + 10 }),
      changed: false,
      stale: true,
      conflict: true,
      check: true,
    },
    {
      name: "a stale event that agrees is no conflict",
      current: facts(),
      update: event("active", T - 10),
      next: facts(),
      changed: false,
      stale: true,
      check: false,
    },
    {
      name: "two states at the same instant: kept, and ACS settles it",
      current: facts(),
      update: event("inactive", T),
      next: facts(),
      changed: false,
      conflict: true,
      check: true,
    },
    {
      name: "a redelivered event changes nothing",
      current: facts(),
      update: event("active", T),
      next: facts(),
      changed: false,
      check: false,
    },
    {
      name: "a resume after a pause",
      current: facts({ state: "inactive", at: T + 10 }),
      update: event("active", T + 20),
      next: { state: "active", at: T + 20 },
      changed: true,
      check: false,
    },
    {
      name: "ACS says active where the events left it inactive: ACS wins",
      current: facts({ state: "inactive", at: T + 10 }),
      update: { kind: "acs", state: "active", at: T + 1_000 },
      next: { state: "active", at: T + 1_000, source: "acs" },
      changed: true,
      check: false,
    },
    {
      name: "ACS says inactive where events said active: ACS wins",
      current: facts(),
      update: { kind: "acs", state: "inactive", at: T + 1_000 },
      next: { state: "inactive", source: "acs" },
      changed: true,
      check: false,
    },
    {
      name: "ACS no longer knows the recording: inactive",
      current: facts(),
      update: { kind: "acs", state: "missing", at: T + 1_000 },
      next: { state: "inactive", source: "acs" },
      changed: true,
      check: false,
    },
    {
      name: "an ACS answer never moves the time back (a later event stays later)",
      current: facts({ at: T + 5_000 }),
      update: { kind: "acs", state: "active", at: T },
      next: { state: "active", at: T + 5_000, source: "acs" },
      changed: true,
      check: false,
    },
    {
      name: "StartRecordingFailed: inactive for good",
      current: placeholder,
      update: { kind: "start-failed", at: T },
      next: { state: "inactive", failed: true, initial: false },
      changed: true,
      check: false,
    },
    {
      name: "an active event after StartRecordingFailed is a conflict for ACS",
      current: facts({ state: "inactive", failed: true }),
      update: event("active", T + 10),
      next: facts({ state: "inactive", failed: true }),
      changed: false,
      stale: true,
      conflict: true,
      check: true,
    },
    {
      name: "ACS says active after StartRecordingFailed: ACS wins",
      current: facts({ state: "inactive", failed: true }),
      update: { kind: "acs", state: "active", at: T + 10 },
      next: { state: "active", failed: false },
      changed: true,
      check: false,
    },
  ];

  it.each(cases)("$name", ({ current, update, next, changed, stale = false, conflict = false, check }) => {
    const outcome = decideRecordingState(current, update);
    expect(outcome.next).toMatchObject(next);
    expect({ changed: outcome.changed, stale: outcome.stale, conflict: outcome.conflict }).toEqual({
      changed,
      stale,
      conflict,
    });
    expect(needsAcsCheck(update, outcome)).toBe(check);
  });

  it("any order of a recording's events ends in the state of the newest one", () => {
    const events = [
      event("inactive", T - 100, true),
      event("active", T),
      event("inactive", T + 10),
      event("active", T + 20),
    ];
    const orders = [
      [0, 1, 2, 3],
      [3, 2, 1, 0],
      [1, 0, 3, 2],
      [2, 3, 0, 1],
      [0, 3, 1, 2],
    ];
    for (const order of orders) {
      let held: RecordingFacts | undefined;
      for (const i of order) held = decideRecordingState(held, events[i]!).next;
      expect(held).toMatchObject({ state: "active", at: T + 20 });
    }
  });
});

describe("callRecordingState", () => {
  it.each([
    [{}, undefined],
    [{ a: facts({ state: "inactive" }) }, "inactive"],
    [{ a: facts({ state: "inactive" }), b: facts() }, "active"],
    [{ a: facts(), b: facts({ state: "inactive", failed: true }) }, "active"],
  ] as const)("%j → %s", (recordings, state) => {
    expect(callRecordingState(recordings)).toBe(state);
  });
});

describe("event times and placeholders", () => {
  it.each([
    ["2025-03-05T08:58:29.9685604+00:00", 1_741_165_109_968_560],
    ["2025-03-05T08:58:30.0465581+00:00", 1_741_165_110_046_558],
    ["2025-03-05T08:58:30Z", 1_741_165_110_000_000],
    ["2025-03-05T09:58:30.5+01:00", 1_741_165_110_500_000],
    ["2025-03-05T08:58:30.000001Z", 1_741_165_110_000_001],
  ])("%s → %d µs", (iso, micros) => {
    expect(microsOf(iso)).toBe(micros);
  });

  it("keeps sub-millisecond order", () => {
    expect(microsOf("2026-01-01T00:00:00.0001Z")!).toBeLessThan(microsOf("2026-01-01T00:00:00.0009Z")!);
  });

  it.each(["", "yesterday", "2025-13-45T99:00:00Z"])("%j is no time", (iso) => {
    expect(microsOf(iso)).toBeUndefined();
  });

  it.each([
    ["0001-01-01T00:00:00+00:00", true],
    ["0001-01-01T00:00:00Z", true],
    ["2025-03-05T08:58:29.6625123+00:00", false],
    [undefined, false],
  ] as const)("%s is the placeholder: %s", (startDateTime, placeholderStart) => {
    expect(isPlaceholderStart(startDateTime)).toBe(placeholderStart);
  });

  it("reads back what it stores, and nothing else", () => {
    expect(parseRecordingFacts(JSON.stringify(facts()))).toEqual(facts());
    expect(parseRecordingFacts("{")).toBeUndefined();
    expect(parseRecordingFacts(JSON.stringify({ state: "paused" }))).toBeUndefined();
    expect(parseRecordingFacts(undefined)).toBeUndefined();
  });
});
