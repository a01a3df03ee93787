import { hostname } from "node:os";
import type { Logger } from "../src/log.js";
import { OUTBOX_GROUP, outboxKeys } from "../src/intake/outbox.js";
import { parseDelivery } from "../src/intake/parse.js";
import type { AcsEvent } from "../src/intake/schemas.js";
import { rawIdOf } from "../src/acs/index.js";
import { jobIdFor, type Queues } from "../src/queues/index.js";
import type { SessionStore } from "../src/sessions/index.js";
import { createRingContexts, withContextsKeptApart } from "../src/sessions/ring-context.js";
import { duplicateClient, type RedisClient } from "../src/redis/index.js";

type StreamEntries = [id: string, fields: string[]][];
type ReadReply = [stream: string, entries: StreamEntries][] | null;

export interface OutboxRelay {
  close(): Promise<void>;
}

const BATCH = 500;

type Job = { payload: { event: AcsEvent; receivedAt: string }; jobId: string };

/** Reads a stream entry's fields (a flat name, value, name, value … list). */
function fieldsOf(fields: string[]): Map<string, string> {
  const map = new Map<string, string>();
  for (let i = 0; i + 1 < fields.length; i += 2) map.set(fields[i]!, fields[i + 1]!);
  return map;
}

/**
 * The call-event jobs of one outbox entry: the delivery's body exactly as received, re-validated here (the
 * same schemas and recording-host allowlist as at intake: what reaches a worker is checked twice), keeping
 * only the events that were new when it arrived.
 */
export function jobsOfEntry(fields: string[], recordingHostSuffixes: readonly string[]): Job[] {
  const entry = fieldsOf(fields);
  const channel = entry.get("channel");
  const receivedAt = entry.get("receivedAt");
  const body = entry.get("body");
  const fresh = entry.get("fresh");
  if (!channel || !receivedAt || body === undefined || !fresh) throw new Error("outbox entry lacks a field");
  const freshIds = new Set(JSON.parse(fresh) as string[]);
  const delivery = parseDelivery(JSON.parse(body), { recordingHostSuffixes });
  if (delivery.kind !== "events") throw new Error(`outbox entry holds a ${delivery.kind}, not events`);
  return delivery.events
    .filter((event) => freshIds.has(event.id))
    .map((event) => ({ payload: { event, receivedAt }, jobId: jobIdFor(channel, event.id) }));
}

/**
 * Whether an event would tell the call's session nothing new, so that its job would change nothing: a
 * CallParticipantAdded for someone the session already counts (in a 1:1 call, both parties, known from
 * IncomingCall). The event that added them decides and acts on them itself — or, if its worker died first, its
 * job's next run does — so skipping such a job loses nothing and saves a job per party per call.
 */
export async function addsNothing(event: AcsEvent, sessions: Pick<SessionStore, "knowsParticipant">): Promise<boolean> {
  if (event.type !== "Microsoft.Communication.CallParticipantAdded") return false;
  const participant = rawIdOf(event.data.user.communicationIdentifier);
  return !!participant && (await sessions.knowsParticipant(event.data.serverCallId, participant));
}

/** Entries a crashed relay had read but not queued are taken over after this long. */
const CLAIM_IDLE_MS = 30_000;

/**
 * Moves events from the intake outbox stream into the call-events queue, in batches. Entries are acknowledged
 * and deleted only after their jobs are queued; a relay that dies in between leaves them pending, and another
 * relay claims them. Job ids derive from the event id, so an entry queued twice still makes one job.
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
  const { stream, unreadable } = outboxKeys(prefix);
  // A dedicated connection: XREADGROUP BLOCK holds it.
  const reader = duplicateClient(redis);
  const consumer = options.consumer ?? `${hostname()}-${process.pid}`;
  const ringContexts = createRingContexts(redis, prefix);
  let running = true;

  /** Queues the entries' jobs; returns the entry ids, to acknowledge and delete now that their jobs exist. */
  const relay = async (entries: StreamEntries): Promise<string[]> => {
    if (entries.length === 0) return [];
    const jobs = [];
    for (const [id, fields] of entries) {
      try {
        jobs.push(...jobsOfEntry(fields, options.recordingHostSuffixes));
      } catch (error) {
        // Accepted at intake but refused now (e.g. the allowlist changed): kept aside, never dropped silently.
        await reader.xadd(unreadable, "*", "entry", id, "reason", (error as Error).message, ...fields);
        logger.error({ alert: "outbox-entry-unreadable", entry: id, err: error }, "ALERT outbox entry set aside");
      }
    }
    const { sessions } = options;
    const skipped = sessions
      ? await Promise.all(jobs.map(({ payload }) => addsNothing(payload.event, sessions)))
      : jobs.map(() => false);
    for (const [i, { payload }] of jobs.entries()) {
      if (!skipped[i]) continue;
      const { serverCallId, correlationId } = payload.event.data as { serverCallId?: string; correlationId?: string };
      logger.debug({ serverCallId, correlationId, event: payload.event.id }, "participant already known: no job");
    }
    // An IncomingCall's context never enters job data (src/sessions/ring-context.ts).
    await queues.enqueueMany(
      "call-event",
      await withContextsKeptApart(
        ringContexts,
        jobs.filter((_, i) => !skipped[i]),
      ),
    );
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
