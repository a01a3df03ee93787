import { hostname } from "node:os";
import type { Logger } from "../src/log.js";
import { OUTBOX_GROUP, outboxKeys } from "../src/intake/outbox.js";
import type { AcsEvent } from "../src/intake/schemas.js";
import { jobIdFor, type Queues } from "../src/queues/index.js";
import { duplicateClient, type RedisClient } from "../src/redis/index.js";

type StreamEntries = [id: string, fields: string[]][];
type ReadReply = [stream: string, entries: StreamEntries][] | null;

export interface OutboxRelay {
  close(): Promise<void>;
}

const BATCH = 500;
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
  options: { claimIdleMs?: number; consumer?: string } = {},
): OutboxRelay {
  const claimIdleMs = options.claimIdleMs ?? CLAIM_IDLE_MS;
  const { stream } = outboxKeys(prefix);
  // A dedicated connection: XREADGROUP BLOCK holds it.
  const reader = duplicateClient(redis);
  const consumer = options.consumer ?? `${hostname()}-${process.pid}`;
  let running = true;

  const relay = async (entries: StreamEntries) => {
    if (entries.length === 0) return;
    const jobs = entries.flatMap(([, fields]) => {
      const raw = fields[fields.indexOf("event") + 1];
      if (!raw) return [];
      const { channel, event, receivedAt } = JSON.parse(raw) as {
        channel: string;
        event: AcsEvent;
        receivedAt: string;
      };
      return [{ payload: { event, receivedAt }, jobId: jobIdFor(channel, event.id) }];
    });
    await queues.enqueueMany("call-event", jobs);
    const ids = entries.map(([id]) => id);
    await reader
      .multi()
      .xack(stream, OUTBOX_GROUP, ...ids)
      .xdel(stream, ...ids)
      .exec();
  };

  const loop = async () => {
    try {
      await reader.xgroup("CREATE", stream, OUTBOX_GROUP, "0", "MKSTREAM");
    } catch (error) {
      if (!String(error).includes("BUSYGROUP")) throw error;
    }
    let claimCursor = "0-0";
    let lastClaim = 0;
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
          await relay(claimed[1]);
        }
        const reply = (await reader.xreadgroup(
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
        )) as ReadReply;
        await relay(reply?.[0]?.[1] ?? []);
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
