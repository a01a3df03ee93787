import { randomBytes } from "node:crypto";
import type { CallAutomationClient } from "@azure/communication-call-automation";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inject } from "vitest";
import { deleteKeysMatching } from "../../scripts/local-stack/services.js";
import { parseDelivery } from "../../src/intake/parse.js";
import type { AcsEvent } from "../../src/intake/schemas.js";
import { createLogger } from "../../src/log.js";
import { decide, loadPolicies, type TeamPolicy } from "../../src/policy/index.js";
import { createCorrelationIndex, type CorrelationIndex } from "../../src/correlation/index.js";
import { jobIdFor, type AnyJobKind, type JobName, type PayloadOf, type Queues } from "../../src/queues/index.js";
import { createRedisSessionStore, type SessionStore } from "../../src/sessions/index.js";
import type { WorkerDependencies } from "../../workers/dependencies.js";
import { connectCallJob } from "../../workers/jobs/control/connect-call.js";
import { callEventJob } from "../../workers/jobs/control/call-event.js";
import type { RedisClient } from "../../src/redis/index.js";
import { connectTarget, redisTargets } from "../support/redis-targets.js";
import { serverCallIdLike } from "../support/acs-ids.js";
import { createMemoryLedger } from "../support/memory-ledger.js";
import { runJob } from "../support/run-job.js";
import { ALICE, BOB } from "../support/stack.js";

let redis: RedisClient;
let sessions: SessionStore;
let correlation: CorrelationIndex;
let policies: readonly TeamPolicy[];
const prefix = `${inject("runId")}:${randomBytes(4).toString("hex")}`;

beforeAll(async () => {
  policies = await loadPolicies("policies");
});

/**
 * The events one recorded 1:1 call produces, as the documented payloads shape them: with, as in the recorded live
 * session "CallRecording_Live_Tests_Creates_a_call,_start_recording,_and_hangs_up", a first `inactive` state with
 * startDateTime 0001-01-01 before `active`, both carrying the recorder's own leg as callConnectionId; and the
 * CallConnected of another app's leg to the same call, which reports to our callback too.
 */
function eventsOfCall(serverCallId: string): AcsEvent[] {
  const id = (kind: string) => ({ rawId: kind, kind: "communicationUser", communicationUser: { id: kind } });
  const common = { serverCallId, correlationId: `corr-${serverCallId}` };
  const envelope = (n: number, eventType: string, subject: string, data: unknown) => ({
    id: `${serverCallId}-${n}`,
    eventType,
    subject,
    data,
    eventTime: `2026-11-22T10:00:0${n}Z`,
    dataVersion: "1.0",
    metadataVersion: "1",
    topic: "/subscriptions/s",
  });
  const cloudEvent = (n: number, type: string, data: unknown, fraction = "") => ({
    id: `${serverCallId}-cb-${n}${fraction}`,
    source: "calling/callConnections/conn-1",
    type,
    specversion: "1.0",
    time: `2026-11-22T10:00:0${n}${fraction}Z`,
    data,
  });
  const chunk = {
    documentId: "doc-1",
    index: 0,
    endReason: "SessionEnded",
    contentLocation: "https://us-storage.asm.skype.com/v1/objects/doc-1/content/audiowavmultichannel",
    metadataLocation: "https://us-storage.asm.skype.com/v1/objects/doc-1/content/acsmetadata",
    deleteLocation: "https://us-storage.asm.skype.com/v1/objects/doc-1",
  };
  const body = [
    envelope(1, "Microsoft.Communication.IncomingCall", `/caller/${ALICE}/recipient/${BOB}`, {
      ...common,
      from: id(ALICE),
      to: id(BOB),
      incomingCallContext: "opaque",
    }),
    envelope(2, "Microsoft.Communication.CallStarted", `call/${serverCallId}/startedBy/${ALICE}`, {
      ...common,
      startedBy: { communicationIdentifier: id(ALICE), role: "Attendee" },
      isTwoParty: true,
    }),
    envelope(3, "Microsoft.Communication.CallParticipantAdded", `call/${serverCallId}/participant/${BOB}`, {
      ...common,
      user: { communicationIdentifier: id(BOB), role: "Attendee" },
      displayName: "Bob",
      participantId: "p-bob",
    }),
    cloudEvent(4, "Microsoft.Communication.CallConnected", { ...common, callConnectionId: "conn-1" }),
    cloudEvent(
      4,
      "Microsoft.Communication.RecordingStateChanged",
      {
        ...common,
        callConnectionId: "recorder-leg",
        recordingId: "rec-1",
        state: "inactive",
        startDateTime: "0001-01-01T00:00:00+00:00",
      },
      ".9685604",
    ),
    cloudEvent(5, "Microsoft.Communication.RecordingStateChanged", {
      ...common,
      callConnectionId: "recorder-leg",
      recordingId: "rec-1",
      state: "active",
      startDateTime: "2026-11-22T10:00:04.6625123Z",
    }),
    envelope(6, "Microsoft.Communication.CallEnded", `call/${serverCallId}`, { ...common, callDurationInSeconds: 5 }),
    envelope(
      7,
      "Microsoft.Communication.RecordingFileStatusUpdated",
      `/recording/call/${serverCallId}/recordingId/rec-1`,
      {
        recordingStorageInfo: { recordingChunks: [chunk] },
        recordingStartTime: "2026-11-22T10:00:04Z",
        recordingDurationMs: 4000,
        recordingContentType: "Audio",
        recordingChannelType: "Unmixed",
        recordingFormatType: "Wav",
      },
    ),
    cloudEvent(4, "Microsoft.Communication.CallConnected", { ...common, callConnectionId: "conn-other" }, ".5"),
  ];
  const parsed = parseDelivery(body, { recordingHostSuffixes: [".asm.skype.com"] });
  if (parsed.kind !== "events") throw new Error("fixture did not parse");
  return parsed.events;
}

/** Jobs the handler removed (not started yet), since the start of the test file. */
const removed: { name: JobName; jobId: string }[] = [];
/** Connect requests that reached ACS, per call, since the start of the test file: the effect that must happen once. */
const acsConnects = new Map<string, number>();

/**
 * Runs events through the real event handler (real Redis sessions), recording what it enqueues, and the steps it
 * ran itself on the way to the recording (the connect: call-event.ts runInline), as the job the step is.
 */
async function handle(
  events: AcsEvent[],
  current: () => readonly TeamPolicy[] = () => policies,
  earlier: (hash: string) => readonly TeamPolicy[] | undefined = () => undefined,
  /**
   * The worker dies when it is about to queue a job of this kind (after the step was claimed); for the connect,
   * also when about to make the request itself.
   */
  dieBeforeQueueing?: JobName,
) {
  let queuedConnectRunning = false;
  const enqueued: { name: JobName; jobId: string | undefined }[] = [];
  /** A job as queued: its kind's name, and the id its kind gives its payload. */
  const idOf = (kind: AnyJobKind, payload: unknown) => ({
    name: kind.name,
    jobId: (kind.jobIdOf as (p: unknown) => string | undefined)(payload),
  });
  const queues: Queues = {
    async enqueue(kind, payload) {
      const { name, jobId: id } = idOf(kind, payload);
      if (name === dieBeforeQueueing) throw new Error("worker killed");
      const first = !enqueued.some((job) => job.name === name && job.jobId !== undefined && job.jobId === id);
      enqueued.push({ name, jobId: id });
      // The connect job runs at once (once per job id, as BullMQ keeps one job per id): ACS answers with our
      // connection, conn-1; its CallConnected may have been handled before or comes after.
      if (name === "connect-call" && first) {
        queuedConnectRunning = true;
        try {
          await runJob(connectCallJob, deps, payload as PayloadOf<"connect-call">);
        } finally {
          queuedConnectRunning = false;
        }
      }
    },
    async enqueueMany(kind, payloads) {
      for (const payload of payloads) enqueued.push(idOf(kind, payload));
    },
    async remove(kind, payload) {
      const { name, jobId } = idOf(kind, payload);
      if (jobId) removed.push({ name, jobId });
    },
    schedule: async () => undefined,
    unscheduleElsewhere: async () => [],
    unschedule: async () => false,
    async *notStarted() {
      yield* [];
    },
    getJob: async () => undefined,
    all: () => [],
    close: async () => undefined,
  };
  const acs = {
    connectCall: async (locator: { id: string }) => {
      // Made in the event's own job: a death there is one before the step happened (its job is then queued).
      if (!queuedConnectRunning && dieBeforeQueueing === "connect-call") throw new Error("worker killed");
      acsConnects.set(locator.id, (acsConnects.get(locator.id) ?? 0) + 1);
      if (!queuedConnectRunning) enqueued.push({ name: "connect-call", jobId: jobIdFor(locator.id, "connect") });
      return { callConnectionProperties: { callConnectionId: "conn-1" } };
    },
  } as unknown as CallAutomationClient;
  const deps = {
    logger: createLogger("silent", "test"),
    sessions,
    queues,
    acs,
    callbackUri: "http://127.0.0.1:1/api/callbacks",
    policies: current,
    policiesFor: earlier,
    recordingExpectedWithinMs: 60_000,
    ledger: createMemoryLedger(),
    correlation,
    health: { noteSuccess: async () => undefined },
  } as unknown as WorkerDependencies; // container is never touched by call events or the connect
  // One receipt time for all: when a delivery arrived is kept (time-to-record) but is no fact of the call's order.
  for (const event of events)
    await runJob(callEventJob, deps, { event, receivedAt: "2026-11-22T10:00:00.000Z", channel: "eventgrid" });
  return enqueued;
}

async function endState(serverCallId: string, enqueued: { name: JobName; jobId: string | undefined }[]) {
  const session = await sessions.get(serverCallId);
  // BullMQ keeps one job per id (ingest: recording and chunk; steps: call and step), so count distinct ids; a job
  // queued without an id gets a fresh one.
  const jobs = (name: JobName) =>
    new Set(enqueued.filter((job) => job.name === name).map((job, i) => job.jobId ?? `fresh-${i}`)).size;
  return {
    session: {
      ...session,
      serverCallId: "(call)",
      correlationId: session.correlationId?.replace(serverCallId, ""),
      // How many writes it took differs by order (a stale event writes nothing): the facts must not.
      recordingVersion: undefined,
    },
    connects: jobs("connect-call"),
    /** Connect requests at ACS: exactly one, whatever the order or the redeliveries. */
    acsConnects: acsConnects.get(serverCallId) ?? 0,
    starts: jobs("start-recording"),
    deadlines: jobs("enforce-start"),
    ingestJobs: jobs("ingest-chunk"),
  };
}

describe.each(redisTargets)("call event handling on %s", (_label, target) => {
  beforeAll(() => {
    redis = connectTarget(target);
    sessions = createRedisSessionStore(redis, prefix);
    correlation = createCorrelationIndex(redis, prefix);
  });
  afterAll(async () => {
    await deleteKeysMatching(redis, `${prefix}:*`);
    redis.disconnect();
  });

  it("a regulated member joining an unrecorded call starts recording mid-call", async () => {
    const serverCallId = serverCallIdLike("join");
    const [incoming, started, aliceJoins] = eventsOfCall(serverCallId);
    const outsider = {
      rawId: "8:acs:outsider",
      kind: "communicationUser",
      communicationUser: { id: "8:acs:outsider" },
    };
    const other = { rawId: "8:acs:other", kind: "communicationUser", communicationUser: { id: "8:acs:other" } };
    // Two people in no team start a call: nothing to record.
    const strangers = [
      { ...incoming!, data: { ...incoming!.data, from: outsider, to: other } },
      { ...started!, data: { ...started!.data, startedBy: { communicationIdentifier: outsider, role: "Attendee" } } },
    ] as AcsEvent[];
    const before = await handle(strangers);
    expect(before.filter((job) => job.name === "connect-call")).toEqual([]);
    expect((await sessions.get(serverCallId)).decision).toMatchObject({ record: false });
    // Then a trading-desk member joins.
    const after = await handle([
      {
        ...aliceJoins!,
        data: {
          ...aliceJoins!.data,
          user: {
            communicationIdentifier: { rawId: ALICE, kind: "communicationUser", communicationUser: { id: ALICE } },
            role: "Attendee",
          },
        },
      } as AcsEvent,
    ]);
    expect(after.filter((job) => job.name === "connect-call")).toHaveLength(1);
    expect((await sessions.get(serverCallId)).decision).toMatchObject({ record: true, teamId: "trading-desk" });
  });

  it("a policy reload applies to new calls; a call in progress keeps the set that first decided it", async () => {
    const before = policies;
    // The reloaded set no longer has the trading desk: nobody on the call is in a team any more.
    const after = policies.filter((policy) => policy.team.id !== "trading-desk");
    let inForce = before;
    const setsByHash = new Map<string, readonly TeamPolicy[]>();
    const remember = (set: readonly TeamPolicy[]) => {
      const decision = decide(set, { participants: [] });
      if (decision.policySetHash) setsByHash.set(decision.policySetHash, set);
    };
    remember(before);
    remember(after);

    const inProgress = serverCallIdLike("reload");
    const events = eventsOfCall(inProgress);
    await handle(
      events.slice(0, 2),
      () => inForce,
      (hash) => setsByHash.get(hash),
    );
    inForce = after; // the reload
    const rest = await handle(
      events.slice(2),
      () => inForce,
      (hash) => setsByHash.get(hash),
    );
    expect((await sessions.get(inProgress)).decision).toMatchObject({ record: true, teamId: "trading-desk" });
    expect(rest.filter((job) => job.name === "start-recording")).toHaveLength(1);

    const newCall = serverCallIdLike("reload-new");
    const enqueued = await handle(
      eventsOfCall(newCall),
      () => inForce,
      (hash) => setsByHash.get(hash),
    );
    expect((await sessions.get(newCall)).decision).toMatchObject({ record: false, reason: "no-team-member" });
    expect(enqueued.filter((job) => job.name === "connect-call")).toEqual([]);
  });

  it("CallStarted that connects a ringing call removes its ring watchdog; one that could not claim the connect leaves it", async () => {
    const serverCallId = serverCallIdLike("watchdog");
    const [incoming, started] = eventsOfCall(serverCallId);
    const watchdog = { name: "connect-ringing", jobId: jobIdFor(serverCallId, "ring-watch") };
    const queued = await handle([incoming!, started!]);
    expect(queued).toContainEqual(watchdog);
    expect(removed).toContainEqual(watchdog);

    const answeredMeanwhile = serverCallIdLike("watchdog-held");
    const [ringing, answered] = eventsOfCall(answeredMeanwhile);
    await handle([ringing!]);
    // The watchdog is trying to connect (it holds the claim) when CallStarted is handled: it stays, to finish.
    expect(await sessions.claim(answeredMeanwhile, "connect", "ring-watch")).toBe(true);
    expect((await handle([answered!])).filter((job) => job.name === "connect-call")).toEqual([]);
    expect(removed).not.toContainEqual({ name: "connect-ringing", jobId: jobIdFor(answeredMeanwhile, "ring-watch") });
  });

  it("in order: one connect, one start, one ingest job, a recorded decision", async () => {
    const serverCallId = serverCallIdLike("ordered");
    const state = await endState(serverCallId, await handle(eventsOfCall(serverCallId)));
    expect(state).toMatchObject({ connects: 1, acsConnects: 1, starts: 1, deadlines: 1, ingestJobs: 1 });
    expect(state.session).toMatchObject({
      started: true,
      ended: true,
      caller: ALICE,
      callee: BOB,
      callConnectionId: "conn-1",
      ownConnectionId: "conn-1",
      connectedConnections: ["conn-1", "conn-other"],
      recordingId: "rec-1",
      recordingState: "active",
      recordings: { "rec-1": { state: "active", initial: false } },
      decision: { record: true, teamId: "trading-desk" },
    });
  });

  it("a worker killed between claiming a step and queueing its job: the event's redelivery queues it, once", async () => {
    const serverCallId = serverCallIdLike("killed");
    const [, started, participantAdded] = eventsOfCall(serverCallId);
    // CallStarted's handling claims the connect, then the worker dies before the connect job is queued.
    await expect(handle([started!], undefined, undefined, "connect-call")).rejects.toThrow("worker killed");
    // Another event of the call does not take the step over (the claim is held)...
    expect((await handle([participantAdded!])).filter((job) => job.name === "connect-call")).toEqual([]);
    // ...BullMQ runs the killed job again: the same event claims the step again and queues it; once more, the
    // same job id (BullMQ keeps one job per id).
    const redelivered = await handle([started!]);
    const again = await handle([started!]);
    const connects = [...redelivered, ...again].filter((job) => job.name === "connect-call");
    expect(connects.length).toBeGreaterThan(0);
    expect(new Set(connects.map((job) => job.jobId)).size).toBe(1);
    expect(connects[0]!.jobId).toBeDefined();
    // The connect itself reached ACS once: the second redelivery found the call connected.
    expect(acsConnects.get(serverCallId)).toBe(1);
  });

  it("each event delivered 5 times has one effect", async () => {
    const serverCallId = serverCallIdLike("dup");
    const events = eventsOfCall(serverCallId).flatMap((event) => [event, event, event, event, event]);
    const state = await endState(serverCallId, await handle(events));
    expect(state).toMatchObject({ connects: 1, acsConnects: 1, starts: 1, deadlines: 1, ingestJobs: 1 });
  });

  it("any delivery order ends in the same state as in order", async () => {
    const reference = serverCallIdLike("ref");
    const expected = await endState(reference, await handle(eventsOfCall(reference)));
    await fc.assert(
      fc.asyncProperty(
        fc.shuffledSubarray([0, 1, 2, 3, 4, 5, 6, 7, 8], { minLength: 9, maxLength: 9 }),
        async (order) => {
          const serverCallId = serverCallIdLike("shuffled");
          const events = eventsOfCall(serverCallId);
          const state = await endState(serverCallId, await handle(order.map((i) => events[i]!)));
          expect(state).toEqual(expected);
        },
      ),
      { numRuns: 25 },
    );
  });
});
