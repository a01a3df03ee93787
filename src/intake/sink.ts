import type { ChainableCommander } from "ioredis";
import { intakeUnconfirmed } from "../metrics.js";
import { duplicateClient, type RedisClient, type RedisClientOptions } from "../redis/index.js";
import type { IntakeDurability } from "./durability.js";
import { IntakeError } from "./errors.js";
import { outboxKeys, SEEN_TTL_SECONDS } from "./outbox.js";
import type { AcsEvent } from "./schemas.js";

export interface SinkResult {
  accepted: number;
  duplicates: number;
  stored: boolean[];
}

/** Counts from per-event outcomes. */
export function sinkResult(stored: boolean[]): SinkResult {
  const accepted = stored.filter(Boolean).length;
  return { accepted, duplicates: stored.length - accepted, stored };
}

export type Channel = "eventgrid" | "callback";

/** A validated delivery: its events, and the bytes exactly as they were received. */
export interface AcceptedDelivery {
  events: readonly AcsEvent[];
  body: Buffer;
}

export interface EventSink {
  /** Persists the delivery for processing; `stored[i]` is false when events[i] had been seen already. */
  accept(channel: Channel, delivery: AcceptedDelivery): Promise<SinkResult>;
  /** Closes the connections the sink opened itself (not the one it was given). */
  close?(): void;
}

/**
 * The most ids asked by one EXISTS: Lua's `unpack` puts every key on the stack, which holds about 8000
 * (LUAI_MAXCSTACK); a larger group asks each id on its own.
 */
const MAX_IDS_IN_ONE_EXISTS = 4000;

/**
 * Stores a group of deliveries atomically, each one at most once per event id: for each delivery, the ids not
 * seen yet (nor earlier in the group) are found, the delivery's body is appended to the outbox with those ids,
 * and only then are they marked seen — so a failure part-way can at worst store an event twice (its job id
 * de-duplicates it downstream), never mark one seen that was not stored.
 * With `confirm` set (replicas:N durability), a group that stored nothing (all duplicates: typically Event Grid's
 * retry of a delivery answered 503) still writes one small key, so that the WAIT which follows covers the earlier
 * write of those events too (replication is one ordered stream). WAIT is documented to wait for the previous
 * *write* commands of its connection; a retry on a connection that wrote nothing would pass WAIT at once and be
 * answered 200 while the replicas may still lack the events — a silent loss if the primary then dies. (Redis up
 * to 7.0 records the offset after any command, read-only ones included — redis/redis#6393 — so there the key only
 * makes sure; it must not depend on that.)
 * Whether any id was seen before is asked once for the whole group (one multi-key EXISTS): nearly always none
 * was, and then no id needs an EXISTS of its own — the script's CPU per delivery drops by ~1 µs of ~12.5
 * (docs/performance.md "Where intake's CPU goes"; Redis shares the webhook's cores). Only when one was
 * (a retry), or the group has more ids than one EXISTS should take, is each id asked on its own. An id twice in
 * the group is fresh only at its first place (`claimed`), whichever way it was asked.
 * KEYS: the stream, the confirmation key, then every delivery's seen-keys in order. ARGV: now, ttl, number of
 * deliveries, confirm (1/0), then per delivery: channel, number of events, body, the event ids. Returns, per
 * delivery, the new events' positions.
 */
export const ACCEPT_DELIVERIES = `
local now, ttl = ARGV[1], ARGV[2]
local results = {}
local wrote = false
local claimed = {}
local idCount = #KEYS - 2
local askEach = idCount > ${MAX_IDS_IN_ONE_EXISTS} or (idCount > 0 and redis.call('EXISTS', unpack(KEYS, 3)) > 0)
local k, a = 3, 5
for d = 1, tonumber(ARGV[3]) do
  local channel, n, body = ARGV[a], tonumber(ARGV[a + 1]), ARGV[a + 2]
  a = a + 3
  local positions, ids, fresh = {}, {}, {}
  for e = 0, n - 1 do
    local key = KEYS[k + e]
    if not claimed[key] and not (askEach and redis.call('EXISTS', key) == 1) then
      claimed[key] = true
      fresh[#fresh + 1] = key
      positions[#positions + 1] = e
      ids[#ids + 1] = ARGV[a + e]
    end
  end
  if #ids > 0 then
    redis.call('XADD', KEYS[1], '*', 'channel', channel, 'receivedAt', now, 'fresh', cjson.encode(ids), 'body', body)
    for _, key in ipairs(fresh) do redis.call('SET', key, now, 'EX', ttl) end
    wrote = true
  end
  k, a = k + n, a + n
  results[d] = positions
end
if ARGV[4] == '1' and not wrote then redis.call('SET', KEYS[2], now) end
return results`;

type AcceptDeliveries = (numberOfKeys: number, ...keysThenArgs: (string | number | Buffer)[]) => Promise<number[][]>;

interface Waiting {
  channel: Channel;
  delivery: AcceptedDelivery;
  resolve: (result: SinkResult) => void;
  reject: (error: unknown) => void;
}

/**
 * Options for the sink's own Redis connection. No auto-pipelining: the sink already sends one command per
 * event-loop turn, and ioredis's pipelining would only add its bookkeeping. A short command timeout answers
 * 5xx quickly when Redis is away, so Event Grid retries instead of waiting.
 */
export const INTAKE_REDIS_OPTIONS: RedisClientOptions = {
  enableAutoPipelining: false,
  maxRetriesPerRequest: 1,
  commandTimeout: 5_000,
};

/** At most this many deliveries share one script run (bounds the script's length and the reply). */
const MAX_GROUP = 256;

/**
 * Connections confirming groups at once with replicas:N. WAIT blocks its connection until the replicas answer
 * (or its timeout), so groups on one connection would wait for each other; on several they do not, and
 * deliveries arriving meanwhile join the next group that gets a connection.
 */
const CONFIRMING_CONNECTIONS = 4;

/**
 * Persists deliveries in the outbox, answering each only once it is stored. Deliveries that arrive in the same
 * turn of the event loop (many connections at once) are stored by one script run — one round trip and one
 * command to encode instead of one each, which is most of intake's cost — and none waits for a timer: the group
 * is sent as soon as the turn's I/O has been read (`setImmediate`). The body is stored as received (no
 * re-serialisation; the relay re-validates it); the script is registered once (EVALSHA). A failed run fails
 * every delivery of its group (each is answered 5xx and retried by its sender; see the script for why a retry
 * is safe).
 * With `replicas:N` durability the script and `WAIT N <timeout>` go in one pipeline: on one connection, and on a
 * Cluster to the node that owns the outbox's slot (the script's keys pick it; WAIT has none), which is the node
 * that took the write. Fewer than N confirmations in time fail the group with a 503 (docs/redis.md). Up to
 * CONFIRMING_CONNECTIONS groups are in flight (the sink opens the extra connections: `close` closes them); the
 * rest wait, and are sent together as soon as a connection is free.
 */
export function createRedisEventSink(
  redis: RedisClient,
  prefix: string,
  durability: IntakeDurability = { mode: "memory" },
): EventSink {
  const keys = outboxKeys(prefix);
  const confirm = durability.mode === "replicas" ? durability : undefined;
  const withScript = (client: RedisClient) => {
    if (!("acceptDeliveries" in client)) client.defineCommand("acceptDeliveries", { lua: ACCEPT_DELIVERIES });
    return client;
  };
  const acceptDeliveries = (
    withScript(redis) as unknown as { acceptDeliveries: AcceptDeliveries }
  ).acceptDeliveries.bind(redis);
  const opened = confirm
    ? Array.from({ length: CONFIRMING_CONNECTIONS - 1 }, () => {
        const copy = withScript(duplicateClient(redis));
        // Reported where the given connection's errors are (emitting "error" with no listener would throw).
        copy.on("error", (error: unknown) => void (redis.listenerCount("error") > 0 && redis.emit("error", error)));
        return copy;
      })
    : [];
  const idle = [redis, ...opened];
  let waiting: Waiting[] = [];

  /** The script's run alone, or (replicas:N) with its WAIT on `connection`: the new events' positions per delivery. */
  const run = async (
    connection: RedisClient,
    keysThenArgs: (string | number | Buffer)[],
    numberOfKeys: number,
  ): Promise<number[][]> => {
    if (!confirm) return acceptDeliveries(numberOfKeys, ...keysThenArgs);
    const pipeline = connection.pipeline() as unknown as ChainableCommander & { acceptDeliveries: AcceptDeliveries };
    void pipeline.acceptDeliveries(numberOfKeys, ...keysThenArgs);
    pipeline.call("WAIT", confirm.replicas, confirm.timeoutMs);
    const [[scriptError, results] = [], [waitError, confirmed] = []] = (await pipeline.exec()) ?? [];
    if (scriptError) throw scriptError;
    if (waitError) throw waitError;
    if (Number(confirmed) < confirm.replicas) {
      intakeUnconfirmed.inc();
      throw new IntakeError(
        503,
        `stored, but ${Number(confirmed)} of ${confirm.replicas} Redis replica(s) confirmed it within ` +
          `${confirm.timeoutMs} ms: retry (the retry is de-duplicated and confirmed again)`,
      );
    }
    return results as number[][];
  };

  const store = (group: Waiting[], connection: RedisClient): Promise<void> => {
    const seenKeys: string[] = [];
    const args: (string | number | Buffer)[] = [
      new Date().toISOString(),
      SEEN_TTL_SECONDS,
      group.length,
      confirm ? 1 : 0,
    ];
    for (const { channel, delivery } of group) {
      const ids = delivery.events.map((event) => event.id);
      for (const id of ids) seenKeys.push(keys.seen(channel, id));
      args.push(channel, ids.length, delivery.body, ...ids);
    }
    return run(connection, [keys.stream, keys.confirm, ...seenKeys, ...args], 2 + seenKeys.length).then(
      (results) =>
        group.forEach(({ delivery, resolve }, index) => {
          const fresh = new Set(results[index]);
          resolve(sinkResult(delivery.events.map((_, position) => fresh.has(position))));
        }),
      (error: unknown) => group.forEach(({ reject }) => reject(error)),
    );
  };

  const flush = () => {
    if (!confirm) {
      const all = waiting;
      waiting = [];
      for (let start = 0; start < all.length; start += MAX_GROUP)
        void store(all.slice(start, start + MAX_GROUP), redis);
      return;
    }
    while (idle.length > 0 && waiting.length > 0) {
      const connection = idle.pop()!;
      void store(waiting.splice(0, MAX_GROUP), connection).then(() => {
        idle.push(connection);
        flush();
      });
    }
  };

  return {
    accept(channel, delivery) {
      if (delivery.events.length === 0) return Promise.resolve(sinkResult([]));
      return new Promise<SinkResult>((resolve, reject) => {
        if (waiting.length === 0) setImmediate(flush);
        waiting.push({ channel, delivery, resolve, reject });
      });
    },
    close() {
      for (const connection of opened) connection.disconnect();
    },
  };
}
