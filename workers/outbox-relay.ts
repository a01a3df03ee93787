import { hostname } from "node:os";
import type { Logger } from "../src/log.js";
import { eventsQuarantined } from "../src/metrics.js";
import {
  OUTBOX_GROUP,
  outboxKeys,
  fieldMap,
  isRedisUnavailable,
  quarantineEntry,
  reasonOf,
  type QuarantineStage,
  parseDelivery,
  type AcsEvent,
} from "../src/intake/index.js";
import { rawIdOf } from "../src/acs/index.js";
import { callEvent, type PayloadOf, type Queues } from "../src/queues/index.js";
import { type SessionStore, createRingContexts, withContextsKeptApart } from "../src/sessions/index.js";
import { duplicateClient, type RedisClient } from "../src/redis/index.js";

type StreamEntries = [id: string, fields: string[]][];
type ReadReply = [stream: string, entries: StreamEntries][] | null;

export interface OutboxRelay {
  close(): Promise<void>;
}

const BATCH = 500;

type Job = { payload: PayloadOf<"call-event"> };

/**
 * The call-event jobs of one outbox entry: the delivery's body exactly as received, re-validated here (the
 * same schemas and recording-host allowlist as at intake: what reaches a worker is checked twice), keeping
 * only the events that were new when it arrived.
 */
export function jobsOfEntry(fields: string[], recordingHostSuffixes: readonly string[]): Job[] {
  const entry = fieldMap(fields);
  const channel = entry.get("channel");
  const receivedAt = entry.get("receivedAt");
  const body = entry.get("body");
  const fresh = entry.get("fresh");
  if (!channel || !receivedAt || body === undefined || !fresh) throw new Error("outbox entry lacks a field");
  if (channel !== "eventgrid" && channel !== "callback")
    throw new Error(`outbox entry of an unknown channel ${channel}`);
  const freshIds = new Set(JSON.parse(fresh) as string[]);
  const delivery = parseDelivery(JSON.parse(body), { recordingHostSuffixes });
  if (delivery.kind !== "events") throw new Error(`outbox entry holds a ${delivery.kind}, not events`);
  return delivery.events
    .filter((event) => freshIds.has(event.id))
    .map((event) => ({ payload: { event, receivedAt, channel } }));
}

/**
 * Whether an event would tell the call's session nothing new, so that its job would change nothing: a
 * CallParticipantAdded for someone the session already counts (in a 1:1 call, both parties, known from
 * IncomingCall). The event that added them decides and acts on them itself — or, if its worker died first, its
 * job's next run does — so skipping such a job loses nothing and saves a job per party per call. Someone seen
 * leaving is news again when they join (docs/recording-control.md "Someone leaves mid-call"); a join relayed
 * before its leave was handled is lost here, and our connection's list, or ACS's when the sources disagree, tells
 * of it instead.
 */
export async function addsNothing(event: AcsEvent, sessions: Pick<SessionStore, "knowsParticipant">): Promise<boolean> {
  if (event.type !== "Microsoft.Communication.CallParticipantAdded") return false;
  const participant = rawIdOf(event.data.user.communicationIdentifier);
  return !!participant && (await sessions.knowsParticipant(event.data.serverCallId, participant));
}

/** Entries a crashed relay had read but not queued are taken over after this long. */
const CLAIM_IDLE_MS = 30_000;

type Entry = { id: string; fields: string[]; jobs: Job[] };

/** How many new events an outbox entry holds (at least 1, when that cannot be read). */
function freshCount(fields: string[]): number {
  try {
    const fresh: unknown = JSON.parse(fieldMap(fields).get("fresh") ?? "[]");
    return Array.isArray(fresh) && fresh.length > 0 ? fresh.length : 1;
  } catch {
    return 1;
  }
}

/**
 * Moves events from the intake outbox stream into the call-events queue, in batches. Entries are acknowledged
 * and deleted only after their jobs are queued; a relay that dies in between leaves them pending, and another
 * relay claims them. Job ids derive from the event id, so an entry queued twice still makes one job.
 * One bad event blocks nothing: an entry that no longer validates, or an event that cannot be queued (found by
 * queueing the batch's events one at a time once the batch fails), is set aside in the quarantine with its reason
 * and alerted, and the rest flow (docs/redis.md "Quarantine"). Only a Redis that is unwell stops a batch, which
 * is then retried whole.
 */
export function startOutboxRelay(
  redis: RedisClient,
  queues: Queues,
  prefix: string,
  logger: Logger,
  options: {
    recordingHostSuffixes: readonly string[];
    claimIdleMs?: number;
    consumer?: string;
    /** When given, events that would add nothing to their call's session (see addsNothing) make no job. */
    sessions?: Pick<SessionStore, "knowsParticipant">;
  },
): OutboxRelay {
  const claimIdleMs = options.claimIdleMs ?? CLAIM_IDLE_MS;
  const { stream } = outboxKeys(prefix);
  // A dedicated connection: XREADGROUP BLOCK holds it.
  const reader = duplicateClient(redis);
  const consumer = options.consumer ?? `${hostname()}-${process.pid}`;
  const ringContexts = createRingContexts(redis, prefix);
  let running = true;

  const quarantine = async (
    entry: { id: string; fields: string[] },
    stage: QuarantineStage,
    reason: string,
    failed: { job?: Job; reason: string }[],
  ) => {
    const events = failed.flatMap(({ job, reason: why }) =>
      job ? [{ id: job.payload.event.id, type: job.payload.event.type, reason: why }] : [],
    );
    const record = await quarantineEntry(reader, prefix, entry, { stage, reason, events });
    eventsQuarantined.inc({ stage }, events.length || freshCount(entry.fields));
    if (events.length === 0) {
      logger.error(
        { alert: "intake-event-quarantined", stage, entry: entry.id, quarantine: record, reason },
        "ALERT outbox entry set aside in the quarantine (recorder events quarantine list)",
      );
    }
    for (const { job, reason: why } of failed) {
      if (!job) continue;
      const { serverCallId, correlationId } = job.payload.event.data as {
        serverCallId?: string;
        correlationId?: string;
      };
      logger.error(
        {
          alert: "intake-event-quarantined",
          stage,
          serverCallId,
          correlationId,
          event: job.payload.event.id,
          type: job.payload.event.type,
          entry: entry.id,
          quarantine: record,
          reason: why,
        },
        "ALERT event set aside in the quarantine (recorder events quarantine list)",
      );
    }
  };

  /** Whether a job would change nothing; a failure to tell (other than Redis being away) just queues it. */
  const skips = async (job: Job): Promise<boolean> => {
    const { sessions } = options;
    if (!sessions) return false;
    try {
      return await addsNothing(job.payload.event, sessions);
    } catch (error) {
      if (isRedisUnavailable(error)) throw error;
      return false;
    }
  };

  /** Queues the entries' jobs; returns the entry ids, to acknowledge and delete now that their jobs exist (or are set aside). */
  const relay = async (entries: StreamEntries): Promise<string[]> => {
    if (entries.length === 0) return [];
    const readable: Entry[] = [];
    for (const [id, fields] of entries) {
      try {
        readable.push({ id, fields, jobs: jobsOfEntry(fields, options.recordingHostSuffixes) });
      } catch (error) {
        // Accepted at intake but refused now (e.g. the allowlist changed): kept aside, never dropped silently.
        await quarantine({ id, fields }, "read", reasonOf(error), []);
      }
    }
    // Asked all at once (one round trip each, in parallel), as the batch is queued at once.
    const skipped = new Set<Job>();
    const all = readable.flatMap((entry) => entry.jobs);
    (await Promise.all(all.map(skips))).forEach((skip, i) => skip && skipped.add(all[i]!));
    for (const { payload } of skipped) {
      const { serverCallId, correlationId } = payload.event.data as { serverCallId?: string; correlationId?: string };
      logger.debug({ serverCallId, correlationId, event: payload.event.id }, "participant already known: no job");
    }
    // An IncomingCall's context never enters job data (src/sessions/ring-context.ts).
    const wanted = await Promise.all(
      readable.map(async (entry) => ({
        ...entry,
        jobs: await withContextsKeptApart(
          ringContexts,
          entry.jobs.filter((job) => !skipped.has(job)),
        ),
      })),
    );
    try {
      await queues.enqueueMany(
        callEvent,
        wanted.flatMap((entry) => entry.jobs.map((job) => job.payload)),
      );
    } catch (error) {
      if (isRedisUnavailable(error)) throw error;
      // Something in the batch cannot be queued: one event at a time, so only what fails is set aside.
      logger.warn({ err: error, entries: wanted.length }, "outbox batch not queued; queueing its events one at a time");
      for (const entry of wanted) {
        const failed: { job: Job; reason: string }[] = [];
        for (const job of entry.jobs) {
          try {
            await queues.enqueueMany(callEvent, [job.payload]);
          } catch (single) {
            if (isRedisUnavailable(single)) throw single;
            failed.push({ job, reason: reasonOf(single) });
          }
        }
        if (failed.length > 0) await quarantine(entry, "queue", failed[0]!.reason, failed);
      }
    }
    return entries.map(([id]) => id);
  };

  /**
   * Acknowledges and deletes the entries already queued, then reads the next ones, in one round trip (a pipeline:
   * the acknowledgement does not wait for the blocking read). Failed acknowledgements leave their entries
   * pending: they are claimed again later and queued under the same job ids, which makes nothing twice.
   */
  const acknowledgeThenRead = async (queued: string[]): Promise<StreamEntries> => {
    const pipeline = reader.pipeline();
    if (queued.length > 0) pipeline.xack(stream, OUTBOX_GROUP, ...queued).xdel(stream, ...queued);
    pipeline.xreadgroup(
      "GROUP",
      OUTBOX_GROUP,
      consumer,
      "COUNT",
      BATCH,
      "BLOCK",
      Math.min(1000, claimIdleMs),
      "STREAMS",
      stream,
      ">",
    );
    const replies = (await pipeline.exec()) ?? [];
    const failed = replies.find(([error]) => error)?.[0];
    if (failed) throw failed;
    return ((replies[replies.length - 1]?.[1] as ReadReply)?.[0]?.[1] ?? []) as StreamEntries;
  };

  const loop = async () => {
    try {
      await reader.xgroup("CREATE", stream, OUTBOX_GROUP, "0", "MKSTREAM");
    } catch (error) {
      if (!String(error).includes("BUSYGROUP")) throw error;
    }
    let claimCursor = "0-0";
    let lastClaim = 0;
    let queued: string[] = [];
    while (running) {
      try {
        if (Date.now() - lastClaim > claimIdleMs / 2) {
          lastClaim = Date.now();
          const claimed = (await reader.xautoclaim(
            stream,
            OUTBOX_GROUP,
            consumer,
            claimIdleMs,
            claimCursor,
            "COUNT",
            BATCH,
          )) as [string, StreamEntries];
          claimCursor = claimed[0];
          queued.push(...(await relay(claimed[1])));
        }
        const entries = await acknowledgeThenRead(queued);
        queued = []; // acknowledged: should relaying these entries fail, nothing is carried over
        queued = await relay(entries);
      } catch (error) {
        if (!running) break;
        logger.error({ err: error }, "outbox relay failed; retrying");
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  };
  const done = loop();
  return {
    async close() {
      running = false;
      reader.disconnect();
      await done.catch(() => undefined);
    },
  };
}
