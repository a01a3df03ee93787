/**
 * `npx tsx bench/intake-script-cost.ts [groups]`: Redis's CPU per delivery for intake's script
 * (src/intake/sink.ts ACCEPT_DELIVERIES) and for scripts that do less — the floor of this data model
 * (docs/performance.md "Where intake's CPU goes"). Groups of 20 deliveries, each one ~2 KB CallStarted with a new
 * id as the sink sends them, run one after another on a private redis-server; each script's figures are
 * `INFO commandstats` (EVALSHA µs per call / 20) and the redis-server's own CPU from /proc. Scripts are measured
 * in turn, twice, so that a growing stream or a burst of other load does not favour one.
 */
import { readFile } from "node:fs/promises";
import { Redis } from "ioredis";
import { startPrivateRedis } from "../scripts/local-stack/services.js";
import { ACCEPT_DELIVERIES, outboxKeys, SEEN_TTL_SECONDS } from "../src/intake/index.js";
import { eventBody } from "./intake.js";

const GROUP = 20;
const groups = Number(process.argv[2] ?? 1500);

/** Scripts taking the sink's keys and arguments, from doing nothing to what the sink does. */
const SCRIPTS: Record<string, string> = {
  "return 1 (keys and arguments only)": "return 1",
  "+ XADD of each body": `
local a = 5
for d = 1, tonumber(ARGV[3]) do
  local n = tonumber(ARGV[a + 1])
  redis.call('XADD', KEYS[1], '*', 'channel', ARGV[a], 'receivedAt', ARGV[1], 'fresh', '[]', 'body', ARGV[a + 2])
  a = a + 3 + n
end
return 1`,
  "+ one SET EX per event": `
local a, k = 5, 3
for d = 1, tonumber(ARGV[3]) do
  local n = tonumber(ARGV[a + 1])
  redis.call('XADD', KEYS[1], '*', 'channel', ARGV[a], 'receivedAt', ARGV[1], 'fresh', '[]', 'body', ARGV[a + 2])
  for e = 0, n - 1 do redis.call('SET', KEYS[k + e], ARGV[1], 'EX', ARGV[2]) end
  a, k = a + 3 + n, k + n
end
return 1`,
  "intake's script": ACCEPT_DELIVERIES,
};

const ticks = async (pid: number) => {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return Number(fields[11]) + Number(fields[12]); // utime + stime, in 1/100 s
};

const redis = await startPrivateRedis();
const client = new Redis(redis.url, { enableAutoPipelining: false });
const keys = outboxKeys("script-cost");
let sequence = 0;

/** One group as the sink sends it: KEYS stream, confirm, seen-keys; ARGV now, ttl, count, confirm, per delivery. */
async function runGroup(sha: string): Promise<void> {
  const seenKeys: string[] = [];
  const args: (string | number | Buffer)[] = [new Date().toISOString(), SEEN_TTL_SECONDS, GROUP, 0];
  for (let d = 0; d < GROUP; d++) {
    const id = `script-cost-${(sequence += 1)}`;
    seenKeys.push(keys.seen("eventgrid", id));
    args.push("eventgrid", 1, Buffer.from(eventBody(id)), id);
  }
  await client.evalsha(sha, 2 + seenKeys.length, keys.stream, keys.confirm, ...seenKeys, ...args);
}

try {
  for (let pass = 1; pass <= 2; pass++) {
    for (const [name, lua] of Object.entries(SCRIPTS)) {
      const sha = (await client.script("LOAD", lua)) as string;
      for (let i = 0; i < 200; i++) await runGroup(sha);
      await client.config("RESETSTAT");
      const before = await ticks(redis.process.pid!);
      for (let i = 0; i < groups; i++) await runGroup(sha);
      const after = await ticks(redis.process.pid!);
      const stats = /cmdstat_evalsha:calls=(\d+),usec=(\d+)/.exec(await client.info("commandstats"))!;
      const scriptMicros = Number(stats[2]) / Number(stats[1]) / GROUP;
      const processMicros = ((after - before) * 1e4) / (groups * GROUP);
      console.log(
        `pass ${pass} ${name.padEnd(36)} script ${scriptMicros.toFixed(2)} µs/delivery, ` +
          `redis-server ${processMicros.toFixed(2)} µs/delivery`,
      );
    }
  }
} finally {
  client.disconnect();
  await redis.stop();
}
