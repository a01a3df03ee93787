/**
 * A chain kept in Redis (docs/evidence.md "Chains"): one stream per chain, each stream entry holding the
 * chained entry's JSON (`entry`) and, for the next append, its `seq` and `hash`. The head is the stream's last
 * entry, so a chain is one key: always one hash slot in Redis Cluster.
 *
 * Appending is compare-and-set: the entry is linked to the head and hashed here (Lua in Redis has no SHA-256),
 * and a script adds it only if the head is still that seq — else it answers with the new head and the entry is
 * linked again. Concurrent appenders in many processes therefore never fork the chain. Appends of one process go one
 * at a time, so they do not race each other.
 */
import type { RedisClient } from "../redis/index.js";
import { entryHash, linkEntry, type ChainHead, type ChainLink, type ChainName } from "./chain.js";

/**
 * KEYS[1] the stream; ARGV: expected head seq, entry JSON, its seq, its hash, MAXLEN (0: untrimmed). Returns
 * {1} when added, else {0, head seq, head hash} (the head to link to instead; '0' and '' when there is none).
 */
const APPEND = `
local last = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)
local seq = '0'
local hash = ''
if last[1] then
  local fields = last[1][2]
  for i = 1, #fields, 2 do
    if fields[i] == 'seq' then seq = fields[i + 1] end
    if fields[i] == 'hash' then hash = fields[i + 1] end
  end
end
if seq ~= ARGV[1] then return {0, seq, hash} end
if ARGV[5] == '0' then
  redis.call('XADD', KEYS[1], '*', 'entry', ARGV[2], 'seq', ARGV[3], 'hash', ARGV[4])
else
  redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[5], '*', 'entry', ARGV[2], 'seq', ARGV[3], 'hash', ARGV[4])
end
return {1}`;

/** Links lost to other appenders in a row before giving up (each is one round trip). */
const MAX_ATTEMPTS = 200;
const PAGE = 500;

export interface ChainLog {
  readonly key: string;
  /** Links the body to the head and stores it; resolves with the chained entry. */
  append<T extends object>(body: T): Promise<T & ChainLink>;
  head(): Promise<ChainHead | undefined>;
  /** The stored entries, oldest first (pre-chain ones included, as stored). */
  entries(): AsyncIterable<unknown>;
  /** The seq of the oldest entry Redis still holds (undefined: empty or none chained). */
  firstSeq(): Promise<number | undefined>;
  /**
   * The entries after seq `after`, oldest first, read backwards from the head (so only the new part is read);
   * undefined when Redis no longer holds seq after + 1 (a capped stream).
   */
  entriesAfter(after: number): Promise<unknown[] | undefined>;
}

export const chainKey = (prefix: string, chain: ChainName) =>
  chain === "audit" ? `${prefix}:audit` : `${prefix}:ledger:chain`;

/** Both chains of a deployment (REDIS_PREFIX). */
export const chainLogs = (redis: RedisClient, prefix: string): Record<ChainName, ChainLog> => ({
  ledger: createChainLog(redis, chainKey(prefix, "ledger")),
  audit: createChainLog(redis, chainKey(prefix, "audit")),
});

const fieldOf = (fields: string[], name: string) => {
  const at = fields.indexOf(name);
  return at >= 0 && at % 2 === 0 ? fields[at + 1] : undefined;
};

export function createChainLog(redis: RedisClient, key: string, options: { maxLen?: number } = {}): ChainLog {
  let tail: Promise<unknown> = Promise.resolve();
  const head = async (): Promise<ChainHead | undefined> => {
    const [last] = (await redis.xrevrange(key, "+", "-", "COUNT", 1)) as [string, string[]][];
    const seq = last ? fieldOf(last[1], "seq") : undefined;
    const hash = last ? fieldOf(last[1], "hash") : undefined;
    return seq && hash ? { seq: Number(seq), hash } : undefined;
  };
  // The head this process last saw: usually still the head, so an append is one round trip; when another
  // process moved it, the script answers with the new head and the entry is linked again.
  let known: ChainHead | undefined | "unknown" = "unknown";
  const appendNow = async <T extends object>(body: T): Promise<T & ChainLink> => {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const current = known === "unknown" ? await head() : known;
      // Hashed as it will be read back: what JSON cannot carry as it is (a Date, an undefined member) is settled first.
      const json = JSON.stringify(linkEntry(body, current));
      const entry = JSON.parse(json) as T & ChainLink;
      const hash = entryHash(entry);
      const added = (await redis.eval(
        APPEND,
        1,
        key,
        String(current?.seq ?? 0),
        json,
        String(entry.seq),
        hash,
        String(options.maxLen ?? 0),
      )) as [number, string?, string?];
      if (added[0] === 1) {
        known = { seq: entry.seq, hash };
        return entry;
      }
      const [, seq, headHash] = added;
      known = seq && seq !== "0" && headHash ? { seq: Number(seq), hash: headHash } : undefined;
    }
    throw new Error(`chain ${key}: lost the head to other appenders ${MAX_ATTEMPTS} times in a row`);
  };
  return {
    key,
    append(body) {
      const next = tail.then(() => appendNow(body));
      tail = next.catch(() => undefined);
      return next;
    },
    head,
    async *entries() {
      let from = "-";
      for (;;) {
        const page = (await redis.xrange(key, from, "+", "COUNT", PAGE)) as [string, string[]][];
        for (const [, fields] of page) {
          const raw = fieldOf(fields, "entry");
          yield raw === undefined ? {} : (JSON.parse(raw) as unknown);
        }
        if (page.length < PAGE) return;
        from = `(${page.at(-1)![0]}`;
      }
    },
    async entriesAfter(after) {
      const newest: unknown[] = [];
      let to = "+";
      for (;;) {
        const page = (await redis.xrevrange(key, to, "-", "COUNT", PAGE)) as [string, string[]][];
        for (const [, fields] of page) {
          const seq = Number(fieldOf(fields, "seq") ?? Number.NaN);
          if (!(seq > after)) return newest.reverse();
          const raw = fieldOf(fields, "entry");
          newest.push(raw === undefined ? {} : (JSON.parse(raw) as unknown));
          if (seq === after + 1) return newest.reverse();
        }
        // The stream ends before seq after + 1: trimmed away (or never there), not to be told from here.
        if (page.length < PAGE) return undefined;
        to = `(${page.at(-1)![0]}`;
      }
    },
    async firstSeq() {
      let from = "-";
      for (;;) {
        const page = (await redis.xrange(key, from, "+", "COUNT", PAGE)) as [string, string[]][];
        for (const [, fields] of page) {
          const seq = fieldOf(fields, "seq");
          if (seq) return Number(seq);
        }
        if (page.length < PAGE) return undefined;
        from = `(${page.at(-1)![0]}`;
      }
    },
  };
}
