/** `npm run bench [-- NAME…]`: runs the named benchmarks (all by default); results go to bench/results/. */
import { redisAnswers } from "../scripts/local-stack/services.js";
import { firstAddress, parseRedisUrl } from "../src/redis/index.js";
import { runBundleVerifyBench } from "./bundle-verify.js";
import { runBusyMinuteBench } from "./busy-minute.js";
import { runByosSealBench } from "./byos-seal.js";
import { runIngestBench } from "./ingest.js";
import { runIntakeBench } from "./intake.js";
import { runOurSideBench } from "./our-side.js";
import { runReconcileBench } from "./reconcile.js";
import { runScaleBench } from "./scale.js";
import { runTimeToRecordBench } from "./time-to-record.js";
import type { BenchContext } from "./result.js";

const benches: Record<string, (context: BenchContext) => Promise<void>> = {
  intake: runIntakeBench,
  ingest: runIngestBench,
  "time-to-record": runTimeToRecordBench,
  "busy-minute": runBusyMinuteBench,
  scale: runScaleBench,
  "bundle-verify": runBundleVerifyBench,
  reconcile: runReconcileBench,
  "byos-seal": runByosSealBench,
  "our-side": runOurSideBench,
};
/** Benchmarks that need no Redis (offline checks). */
const OFFLINE = new Set(["bundle-verify", "byos-seal", "our-side"]);

async function main() {
  const names = process.argv.slice(2);
  const unknown = names.filter((name) => !benches[name]);
  if (unknown.length > 0)
    throw new Error(`unknown benchmark(s) ${unknown.join(", ")}; known: ${Object.keys(benches).join(", ")}`);
  const redisUrl = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
  const first = firstAddress(parseRedisUrl(redisUrl));
  const needsRedis = (names.length > 0 ? names : Object.keys(benches)).some((name) => !OFFLINE.has(name));
  if (needsRedis && !(await redisAnswers(first.host, first.port))) {
    throw new Error(
      `Benchmarks need Redis at ${redisUrl} (set REDIS_URL, or start one: redis-server --port 6379 --save '')`,
    );
  }
  const context: BenchContext = { redisUrl, say: (line) => console.log(line) };
  for (const name of names.length > 0 ? names : Object.keys(benches)) await benches[name]!(context);
}

main().catch((error: unknown) => {
  console.error((error as Error).message);
  process.exit(1);
});
