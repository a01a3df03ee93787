import type { CallSession } from "./store.js";

/**
 * How each fact an event tells of a call merges with what is already known. Events arrive in any order and
 * may be delivered again (docs/acs-payloads.md "Event Grid events"), so every rule but `set` gives the same
 * result whatever the order:
 * - `set`: the latest value told replaces the one known (ids that do not change within a call);
 * - `hint-unless-set`: kept in `field` only while nothing is known there (CallStarted's starter is a hint of the
 *   caller; IncomingCall's caller overwrites it, as `set`);
 * - `keep-first`: the first value told stays;
 * - `keep-earliest`: the earliest moment told stays, whichever came first (an unparseable one is no fact);
 * - `only-on`: a flag turns on and never off;
 * - `union`: every member told is kept.
 * A value that is absent, empty or false tells nothing.
 */
export type FactRule =
  | { rule: "set" }
  | { rule: "hint-unless-set"; field: "caller" }
  | { rule: "keep-first" }
  | { rule: "keep-earliest" }
  | { rule: "only-on" }
  | { rule: "union" };

/** What an event tells of a call (src/calls/facts-of-event.ts makes one of each event). */
export interface FactUpdate {
  correlationId?: string;
  /** From IncomingCall: authoritative, overwrites a hint. */
  caller?: string;
  callee?: string;
  rang?: boolean;
  started?: boolean;
  ended?: boolean;
  /** From CallStarted's startedBy, for calls with no IncomingCall: kept only if no caller is known. */
  callerHint?: string;
  /** When the webhook received CallStarted / IncomingCall: the first one kept. */
  startedSeenAt?: string;
  rangSeenAt?: string;
  /** The earliest moment known of the call (ring or start), ISO 8601. */
  startedAt?: string;
  participants?: string[];
  /** The consent or notice asked (JSON of sessions/consent.ts ConsentAsked): the first stays. */
  consentAsked?: string;
  /** What came of it (JSON of ConsentAnswer): the first answer stays, whatever is redelivered or comes later. */
  consentAnswer?: string;
}

/** The facts of a session these rules keep. */
export type KnownFacts = Pick<
  CallSession,
  | "correlationId"
  | "caller"
  | "callee"
  | "rang"
  | "started"
  | "ended"
  | "startedSeenAt"
  | "rangSeenAt"
  | "startedAt"
  | "participants"
  | "consentAsked"
  | "consentAnswer"
>;

/**
 * The one table of fact rules, in the order they apply (a caller told with a hint in the same update wins). The
 * store's write (store.ts `addFacts`) and the pure fold below are both made from it.
 */
export const FACT_RULES = {
  correlationId: { rule: "set" },
  caller: { rule: "set" },
  callee: { rule: "set" },
  rang: { rule: "only-on" },
  started: { rule: "only-on" },
  ended: { rule: "only-on" },
  callerHint: { rule: "hint-unless-set", field: "caller" },
  startedSeenAt: { rule: "keep-first" },
  rangSeenAt: { rule: "keep-first" },
  startedAt: { rule: "keep-earliest" },
  participants: { rule: "union" },
  consentAsked: { rule: "keep-first" },
  consentAnswer: { rule: "keep-first" },
} as const satisfies { [K in keyof Required<FactUpdate>]: FactRule };

type FactName = keyof typeof FACT_RULES;
type RuleOf<K extends FactName> = (typeof FACT_RULES)[K]["rule"];
/** The facts kept in the call's hash as strings (everything but the union, which is a set of its own). */
type HashFact = { [K in FactName]: RuleOf<K> extends "union" ? never : K }[FactName];

/** The moment of a `keep-earliest` value in ms, or undefined when it is no moment. */
export function momentOf(value: string): number | undefined {
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? ms : undefined;
}

/** What one update writes, by kind of write: how the store turns the table into commands of one transaction. */
export interface FactWrites {
  /** Written as told (`set`, and `only-on` as "1"). */
  set: Record<string, string>;
  /** Written only where nothing is (`hint-unless-set` into its field, `keep-first`). */
  ifAbsent: [field: string, value: string][];
  /** Written only if earlier than what is there (`keep-earliest`; `<field>Ms` keeps the moment compared). */
  ifEarlier: { field: string; ms: number; value: string }[];
  /** Members added to a set (`union`). */
  add: { set: "participants"; members: string[] }[];
}

/** The writes of one update, by the table. Pure. */
export function factWritesOf(update: FactUpdate): FactWrites {
  const writes: FactWrites = { set: {}, ifAbsent: [], ifEarlier: [], add: [] };
  for (const [name, rule] of Object.entries(FACT_RULES) as [FactName, FactRule][]) {
    const value = update[name];
    if (!value || (Array.isArray(value) && value.length === 0)) continue;
    switch (rule.rule) {
      case "set":
        writes.set[name] = String(value);
        break;
      case "only-on":
        writes.set[name] = "1";
        break;
      case "hint-unless-set":
        writes.ifAbsent.push([rule.field, String(value)]);
        break;
      case "keep-first":
        writes.ifAbsent.push([name, String(value)]);
        break;
      case "keep-earliest": {
        const ms = momentOf(String(value));
        if (ms !== undefined) writes.ifEarlier.push({ field: name, ms, value: String(value) });
        break;
      }
      case "union":
        writes.add.push({ set: name as "participants", members: value as string[] });
        break;
    }
  }
  return writes;
}

/**
 * What is known after `incoming`, by the table: the pure twin of the store's write (test/integration/fact-rules.test.ts
 * compares the two on random sequences of updates).
 */
export function mergeFacts(known: KnownFacts, incoming: FactUpdate): KnownFacts {
  const writes = factWritesOf(incoming);
  const next: KnownFacts = { ...known, participants: [...known.participants] };
  const hash = next as unknown as Record<HashFact, string | boolean | undefined>;
  for (const [field, value] of Object.entries(writes.set)) {
    hash[field as HashFact] = FACT_RULES[field as FactName].rule === "only-on" ? true : value;
  }
  for (const [field, value] of writes.ifAbsent) {
    if (!hash[field as HashFact]) hash[field as HashFact] = value;
  }
  for (const { field, ms, value } of writes.ifEarlier) {
    const current = hash[field as HashFact];
    const currentMs = typeof current === "string" ? momentOf(current) : undefined;
    if (currentMs === undefined || ms < currentMs) hash[field as HashFact] = value;
  }
  for (const { members } of writes.add) {
    next.participants = [...new Set([...next.participants, ...members])].sort();
  }
  return next;
}

/** Nothing known yet: what a session read of a call never seen holds. */
export const NO_FACTS: KnownFacts = {
  correlationId: undefined,
  caller: undefined,
  callee: undefined,
  rang: false,
  started: false,
  ended: false,
  startedSeenAt: undefined,
  rangSeenAt: undefined,
  startedAt: undefined,
  participants: [],
  consentAsked: undefined,
  consentAnswer: undefined,
};
