// The review queue under two writers at once (docs/reviews.md "The queue"), on real Redis: two API replicas (each
// its own connection) changing one item, and two fills of one team. One side's reads are answered late (a slow
// replica or network), so its read-modify-write straddles the other's write every time: with the old get-then-put
// of an item, and fills without a lease, each of these ended wrong.
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { deleteKeysMatching } from "../../scripts/local-stack/services.js";
import type { TeamPolicy } from "../../src/policy/index.js";
import type { RedisClient } from "../../src/redis/index.js";
import {
  applyToQueue,
  assignReviewer,
  createReviewQueue,
  fillQueue,
  ReviewRefused,
  startReviewing,
  type FillDependencies,
  type IndexedReview,
  type QueueItem,
  type RecordingRef,
  type ReviewQueue,
  type Scorecard,
} from "../../src/reviews/index.js";
import { connectTarget, redisTargets } from "../support/redis-targets.js";

const LATE_MS = 60;

/** The same client, whose answers to these commands arrive `LATE_MS` after Redis ran them. */
function answeringLate(client: RedisClient, commands: readonly string[]): RedisClient {
  return new Proxy(client, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== "function") return value;
      const method = value as (...args: unknown[]) => unknown;
      if (typeof property !== "string" || !commands.includes(property)) return method.bind(target);
      return async (...args: unknown[]) => {
        const answer = await method.apply(target, args);
        await new Promise((resolve) => setTimeout(resolve, LATE_MS));
        return answer;
      };
    },
  });
}

const TEAM = "desk";
const card = {
  sampling: { perAgentPerWeek: 1, paused: false, enforced: false, flagged: true },
  reviewers: ["alice", "bob"],
} as unknown as Scorecard;

const item = (recordingId: string, patch: Partial<QueueItem> = {}): QueueItem => ({
  recordingId,
  serverCallId: `call-${recordingId}`,
  team: TEAM,
  agent: "agent-a",
  startedAt: "2026-12-07T10:00:00.000Z",
  reasons: ["agent-sample"],
  status: "to-review",
  assignee: null,
  queuedAt: "2026-12-07T11:00:00.000Z",
  updatedAt: "2026-12-07T11:00:00.000Z",
  reviewIds: [],
  ...patch,
});

/** A review of a recording without flags, by `reviewer`: it makes the item done. */
const review = (reviewer: string) =>
  ({ reviewId: `review-by-${reviewer}`, latest: { reviewer, flags: [] } }) as unknown as Pick<
    IndexedReview,
    "reviewId" | "latest"
  >;

const refusal = (error: unknown) => (error instanceof ReviewRefused ? error.status : error);

describe.each(redisTargets)("review queue races on %s", (_label, target) => {
  const prefix = `${inject("runId")}:rq-race-${randomBytes(4).toString("hex")}`;
  let quick: RedisClient;
  let slow: RedisClient;
  /** Two replicas' queues: one answered at once, one whose item reads come late. */
  let first: ReviewQueue;
  let late: ReviewQueue;
  let n = 0;
  const fresh = async () => {
    const recordingId = `rec-${++n}`;
    await first.add([item(recordingId)]);
    return { team: TEAM, recordingId };
  };

  beforeAll(() => {
    quick = connectTarget(target);
    slow = connectTarget(target);
    first = createReviewQueue(quick, prefix);
    late = createReviewQueue(answeringLate(slow, ["hget"]), prefix);
  });
  afterAll(async () => {
    await deleteKeysMatching(quick, `${prefix}:*`);
    quick.disconnect();
    slow.disconnect();
  });

  it("two reviewers starting one unassigned item: one gets it, and both are told whose it is", async () => {
    const recording = await fresh();
    // Bob's start reads the item first (late); Alice's is read and written meanwhile.
    const [bob, alice] = await Promise.all([
      startReviewing(late, recording, "bob"),
      new Promise((r) => setTimeout(r, 10)).then(() => startReviewing(first, recording, "alice")),
    ]);
    const stored = await first.get(TEAM, recording.recordingId);
    expect(stored).toMatchObject({ status: "in-progress" });
    expect(alice.assignee).toBe(stored!.assignee);
    expect(bob.assignee).toBe(stored!.assignee);
    expect(stored!.assignee).toBe("alice");
  });

  it("a start that read the item before a review made it done is refused, not written over the completion", async () => {
    const recording = await fresh();
    const ref = { ...recording, serverCallId: `call-${recording.recordingId}`, startedAt: "2026-12-07T10:00:00.000Z" };
    const index = { ofRecording: async () => [] };
    const [started, done] = await Promise.allSettled([
      startReviewing(late, recording, "bob"),
      new Promise((r) => setTimeout(r, 10)).then(() =>
        applyToQueue({ queue: first, index }, card, ref, "agent-a", review("alice"), new Date().toISOString()),
      ),
    ]);
    expect(done).toMatchObject({ status: "fulfilled", value: { status: "done" } });
    expect(started.status === "rejected" ? refusal(started.reason) : started.value).toBe(409);
    expect(await first.get(TEAM, recording.recordingId)).toMatchObject({
      status: "done",
      reviewIds: ["review-by-alice"],
    });
  });

  it("an assignment that read the item before a review made it done keeps the completion", async () => {
    const recording = await fresh();
    const ref = { ...recording, serverCallId: `call-${recording.recordingId}`, startedAt: "2026-12-07T10:00:00.000Z" };
    const index = { ofRecording: async () => [] };
    const [assigned] = await Promise.all([
      assignReviewer(late, recording, "bob"),
      new Promise((r) => setTimeout(r, 10)).then(() =>
        applyToQueue({ queue: first, index }, card, ref, "agent-a", review("alice"), new Date().toISOString()),
      ),
    ]);
    const stored = await first.get(TEAM, recording.recordingId);
    expect(stored).toMatchObject({ status: "done", assignee: "bob", reviewIds: ["review-by-alice"] });
    expect(assigned.item).toEqual(stored);
    expect(assigned.from).toBeNull();
  });

  it("a fill keeps its lease while it runs, past the lease's life; a holder that died lets go within it", async () => {
    const leased = createReviewQueue(quick, `${prefix}:lease`);
    const LEASE_MS = 300;
    const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    let finish: () => void = () => undefined;
    const long = leased.whileFilling(
      TEAM,
      LEASE_MS,
      () => new Promise<string>((resolve) => (finish = () => resolve("long"))),
    );
    // More than twice the lease's life later, the running fill still holds the team (renewed).
    await sleep(LEASE_MS * 2.5);
    expect(await leased.whileFilling(TEAM, LEASE_MS, async () => "second")).toBeUndefined();
    finish();
    expect(await long).toBe("long");
    expect(await leased.whileFilling(TEAM, LEASE_MS, async () => "after it")).toBe("after it");
    // A fill whose process died: its lease, no longer renewed, lapses.
    await quick.set(`${prefix}:lease:rq:{${TEAM}}:filling`, "a dead worker's fill", "PX", LEASE_MS);
    expect(await leased.whileFilling(TEAM, LEASE_MS, async () => "too soon")).toBeUndefined();
    await sleep(LEASE_MS + 100);
    expect(await leased.whileFilling(TEAM, LEASE_MS, async () => "lapsed")).toBe("lapsed");
  });

  it("two fills of one team at once sample an agent's week once: the second leaves the team to the first", async () => {
    const policies = [{ team: { id: TEAM }, members: ["agent-a"] }] as unknown as TeamPolicy[];
    const recording = (id: string, startedAt: string): RecordingRef => ({
      recordingId: id,
      serverCallId: `call-${id}`,
      team: TEAM,
      startedAt,
      participants: ["agent-a", "customer"],
      manifestBlob: `${id}/manifest.json`,
    });
    const early = recording("fill-early", "2026-12-07T09:00:00.000Z");
    const later = recording("fill-later", "2026-12-07T10:00:00.000Z");
    const fillWith = (queue: ReviewQueue, seen: RecordingRef[]): FillDependencies =>
      ({
        queue,
        scorecards: () => new Map([[TEAM, card]]),
        policies: () => policies,
        manifest: async () => ({ retainUntil: null, legalHold: false, paused: false }),
        ledger: { get: async () => undefined },
        recordingsSince: async () => seen,
        now: () => new Date("2026-12-08T00:00:00Z"),
      }) as unknown as FillDependencies;
    const fillPrefix = `${prefix}:fill`;
    const one = createReviewQueue(quick, fillPrefix);
    // The other run reads counts and items late, and its listing already holds a recording archived late.
    const other = createReviewQueue(answeringLate(slow, ["hgetall"]), fillPrefix);
    const [a, b] = await Promise.all([
      fillQueue(fillWith(one, [later]), 7),
      fillQueue(fillWith(other, [early, later]), 7),
    ]);
    // The next run considers what the one left to the other did not.
    await fillQueue(fillWith(one, [early, later]), 7);
    // One a week for agent-a: a single item, counted once.
    expect(await one.list(TEAM)).toHaveLength(1);
    expect(await one.counts(TEAM)).toEqual(new Map([["agent-a|2026-W50", 1]]));
    expect([...a.busy, ...b.busy]).toEqual([TEAM]);
    expect(await one.considered(TEAM, [early.recordingId, later.recordingId])).toEqual(
      new Set([early.recordingId, later.recordingId]),
    );
  });
});
