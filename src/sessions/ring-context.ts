import type { AcsEvent } from "../intake/index.js";
import type { RedisClient } from "../redis/index.js";

/**
 * An IncomingCall's `incomingCallContext` can answer, redirect or reject the ringing call, so it is kept out of
 * job data: BullMQ keeps completed and failed jobs' data for days, and the admin board shows it. It lives only
 * in one Redis key per call with a short time to live, is deleted as soon as it has served (or cannot serve any
 * more), and is never logged (docs/identity.md "incomingCallContext").
 */
export interface RingContexts {
  put(serverCallId: string, context: string): Promise<void>;
  get(serverCallId: string): Promise<string | undefined>;
  forget(serverCallId: string): Promise<void>;
}

/**
 * Long enough for a call that rings (90 s at most before the ring watchdog gives up, workers/jobs/control/connect-ringing.ts)
 * and a few retries; a context older than this could reject nothing anyway.
 */
export const RING_CONTEXT_TTL_SECONDS = 180;

/** What a job's IncomingCall event carries instead of the context (the context is in RingContexts). */
export const CONTEXT_KEPT_APART = "(kept apart: see src/sessions/ring-context.ts)";

/** Beside the call's session keys, in the same Redis Cluster slot. */
export const ringContextKey = (prefix: string, serverCallId: string) => `${prefix}:call:{${serverCallId}}:ring-context`;

export function createRingContexts(redis: RedisClient, prefix: string): RingContexts {
  return {
    async put(serverCallId, context) {
      await redis.set(ringContextKey(prefix, serverCallId), context, "EX", RING_CONTEXT_TTL_SECONDS);
    },
    async get(serverCallId) {
      return (await redis.get(ringContextKey(prefix, serverCallId))) ?? undefined;
    },
    async forget(serverCallId) {
      await redis.del(ringContextKey(prefix, serverCallId));
    },
  };
}

/**
 * Moves the contexts of IncomingCall events out of the payloads about to be queued: each is put in
 * RingContexts, and the event keeps CONTEXT_KEPT_APART in its place. Other events pass unchanged.
 */
export async function withContextsKeptApart<J extends { payload: { event: AcsEvent } }>(
  contexts: Pick<RingContexts, "put">,
  jobs: J[],
): Promise<J[]> {
  return Promise.all(
    jobs.map(async (job) => {
      const { event } = job.payload;
      if (
        event.type !== "Microsoft.Communication.IncomingCall" ||
        event.data.incomingCallContext === CONTEXT_KEPT_APART
      )
        return job;
      await contexts.put(event.data.serverCallId, event.data.incomingCallContext);
      const data = { ...event.data, incomingCallContext: CONTEXT_KEPT_APART };
      return { ...job, payload: { ...job.payload, event: { ...event, data } } };
    }),
  );
}

/** The context of an IncomingCall job: the one it carries (a job queued directly), else the one kept apart. */
export async function contextOf(
  contexts: Pick<RingContexts, "get">,
  serverCallId: string,
  carried: string,
): Promise<{ context: string | undefined; keptApart: boolean }> {
  if (carried !== CONTEXT_KEPT_APART) return { context: carried, keptApart: false };
  return { context: await contexts.get(serverCallId), keptApart: true };
}
