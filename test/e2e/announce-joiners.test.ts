// The recording announcement beyond its first play (docs/recording-control.md "Announce"), through the whole stack:
// a person who joins after it was played hears it on their own leg (CallMedia.play with playTo), once, whatever is
// delivered again; a recording started again after a stop by scope is announced to everyone again.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Job } from "bullmq";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jobKinds, QueueName, type PayloadOf } from "../../src/queues/index.js";
import type { PlayView } from "../../simulator/types.js";
import { drained } from "../support/jobs.js";
import { eventually, startStack, type Stack } from "../support/stack.js";

const RESOURCE = "5e1f7a2c-0d3b-4c8e-9a61-2f4b8c7d9e10";
const user = (name: string) => `8:acs:${RESOURCE}_${name}`;
const TRADER = user("trader");
/** Nobody's team: the desk's clients (one on a phone: ACS tells of them only in participant lists). */
const CLIENT = "4:+442079460001";
const COLLEAGUE = user("colleague");
const LATE_CLIENT = user("late-client");
const LATE_PHONE = "4:+442079460002";
const ANNOUNCEMENT = "This call is recorded for regulatory purposes.";

const policies = {
  "desk.yaml": `version: 1
team: { id: desk, name: Desk }
members: ["${TRADER}"]
rules:
  - id: record-all
    mode: required
    recording: { content: audio, channel: mixed, format: wav }
    announcement: { text: "${ANNOUNCEMENT}", locale: en-GB }
    enforcement: { startWithinSeconds: 10, onStartFailure: hang-up, onStop: hang-up }
`,
};

let stack: Stack;
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "announce-"));
  await Promise.all(Object.entries(policies).map(([name, text]) => writeFile(join(dir, name), text)));
  stack = await startStack({ policyDir: dir });
});
afterAll(async () => {
  await stack?.stop();
  await rm(dir, { recursive: true, force: true });
});

const playsOf = (serverCallId: string): PlayView[] => stack.simulator.getCall(serverCallId)?.plays ?? [];
const recordingsOf = (serverCallId: string) => stack.simulator.getCall(serverCallId)?.recordings ?? [];

async function placeCall(from: string, to: string, others: string[] = []): Promise<string> {
  const { serverCallId } = await stack.simulator.placeCall({
    from,
    to,
    additionalParticipants: others,
    durationMs: 120_000,
  });
  return serverCallId;
}

/** Waits until the call's n-th play is asked and the session has its result from ACS (PlayCompleted). */
async function playedNth(serverCallId: string, count: number): Promise<PlayView[]> {
  const plays = await eventually(
    () => (playsOf(serverCallId).length >= count ? playsOf(serverCallId) : undefined),
    10_000,
    `${count} play(s) to be asked`,
  );
  await eventually(
    async () => {
      const session = await stack.runtime.sessions.get(serverCallId);
      const results = [
        session.announcement?.status,
        ...Object.entries(session.announcements ?? {})
          .filter(([step]) => step !== "announce")
          .map(([, play]) => play.status),
      ];
      return results.filter((status) => status === "played").length >= count ? true : undefined;
    },
    10_000,
    `${count} play(s) reported played`,
  );
  return plays;
}

/** The call's events the workers handled (their call-event jobs), oldest first. */
async function handledEvents(serverCallId: string): Promise<Job<PayloadOf<"call-event">>[]> {
  const queue = stack.runtime.queues.all().find((q) => q.name === QueueName.callEvents);
  if (!queue) throw new Error("no call-events queue");
  const jobs = (await queue.getJobs(["completed"])) as Job<PayloadOf<"call-event">>[];
  return jobs
    .filter((job) => (job.data.event.data as { serverCallId?: string }).serverCallId === serverCallId)
    .sort((a, b) => a.timestamp - b.timestamp);
}

describe("a party who joins once the recording was announced", () => {
  it("hears it on their own leg, once each, and a redelivery plays nothing again", async () => {
    const serverCallId = await placeCall(TRADER, CLIENT, [COLLEAGUE]);
    // Everyone on the call then: one play to all.
    const [toAll] = await playedNth(serverCallId, 1);
    expect(toAll).toMatchObject({ operationContext: "recording-announcement", playTo: [] });

    // A client joins (ACS VoIP: Event Grid and the participant lists), then another on a phone (lists only).
    await stack.simulator.addParticipant(serverCallId, LATE_CLIENT);
    const afterFirst = await playedNth(serverCallId, 2);
    expect(afterFirst[1]).toMatchObject({
      operationContext: `recording-announcement:announce-to:${LATE_CLIENT}`,
      playTo: [LATE_CLIENT],
    });
    await stack.simulator.addParticipant(serverCallId, LATE_PHONE);
    const afterSecond = await playedNth(serverCallId, 3);
    expect(afterSecond[2]).toMatchObject({
      operationContext: `recording-announcement:announce-to:${LATE_PHONE}`,
      playTo: [LATE_PHONE],
    });
    const session = await stack.runtime.sessions.get(serverCallId);
    expect(session.announcements?.[`announce-to:${LATE_CLIENT}`]).toMatchObject({
      to: LATE_CLIENT,
      status: "played",
      requestedAt: expect.any(String),
    });

    // Every event of the call delivered again (new deliveries of the same facts, e.g. the other channel): the
    // joiners' and everyone's plays are claimed already, nothing is played again.
    await drained(stack);
    const events = await handledEvents(serverCallId);
    expect(events.map((job) => job.data.event.type)).toEqual(
      expect.arrayContaining(["Microsoft.Communication.ParticipantsUpdated", "Microsoft.Communication.PlayCompleted"]),
    );
    for (const job of events) {
      await stack.runtime.queues.enqueue(jobKinds["call-event"], {
        ...job.data,
        event: { ...job.data.event, id: `${job.data.event.id}-again` },
      });
    }
    await drained(stack);
    expect(playsOf(serverCallId)).toHaveLength(3);

    // The first client leaves and comes back: they heard it; not told again.
    const lists = async () =>
      (await handledEvents(serverCallId)).filter(
        (job) =>
          job.data.event.type === "Microsoft.Communication.ParticipantsUpdated" &&
          !job.data.event.id.endsWith("-again"),
      ).length;
    const listsBefore = await lists();
    await stack.simulator.removeParticipant(serverCallId, LATE_CLIENT);
    await stack.simulator.addParticipant(serverCallId, LATE_CLIENT);
    await eventually(
      async () => ((await lists()) >= listsBefore + 2 ? true : undefined),
      10_000,
      "the leave's and the rejoin's participant lists to be handled",
    );
    await drained(stack);
    expect(playsOf(serverCallId)).toHaveLength(3);
    await stack.simulator.endCall(serverCallId);
  });
});

describe("a recording started again after a stop by scope", () => {
  it("is announced to everyone again; someone who joined while nothing was recorded hears that, not a play of their own", async () => {
    const serverCallId = await placeCall(TRADER, CLIENT, [COLLEAGUE]);
    await playedNth(serverCallId, 1);
    const [first] = recordingsOf(serverCallId);

    // The trader leaves: nobody in scope, the recording is stopped. A client joins meanwhile.
    await stack.simulator.removeParticipant(serverCallId, TRADER);
    await eventually(
      () => (recordingsOf(serverCallId)[0]?.state === "stopped" ? true : undefined),
      10_000,
      "the recording to be stopped",
    );
    await stack.simulator.addParticipant(serverCallId, LATE_CLIENT);
    await drained(stack);
    expect(playsOf(serverCallId)).toHaveLength(1);

    // She rejoins: a second recording, announced to all once it is active.
    await stack.simulator.addParticipant(serverCallId, TRADER);
    const second = await eventually(
      () => recordingsOf(serverCallId).find((r) => r.state === "active" && r.recordingId !== first?.recordingId),
      10_000,
      "a second recording",
    );
    const plays = await playedNth(serverCallId, 2);
    expect(plays[1]).toMatchObject({
      operationContext: `recording-announcement:announce:${second.recordingId}`,
      playTo: [],
    });
    expect(Date.parse(plays[1]?.requestedAt ?? "")).toBeGreaterThanOrEqual(Date.parse(second.activatedAt ?? ""));
    await drained(stack);
    expect(playsOf(serverCallId)).toHaveLength(2);
    const session = await stack.runtime.sessions.get(serverCallId);
    expect(session.announcements?.[`announce:${second.recordingId}`]).toMatchObject({ status: "played" });
    await stack.simulator.endCall(serverCallId);
  });
});
