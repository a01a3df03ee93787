/**
 * `npx tsx bench/intake-cost.ts [requests] [rounds]`: CPU time per request of each intake bench server, and of the
 * redis-server behind /api/eventgrid, for a fixed number of requests (autocannon `amount`, 50 connections, the
 * same ~2 KB events as `npm run bench -- intake`). CPU time (user + system, from /proc) is far less disturbed
 * than req/s when other work shares the machine's cores, so it is what the intake changes are judged by
 * (docs/performance.md "Intake"). Redis is a private redis-server started here, so its CPU and
 * `INFO commandstats` are this run's alone. Each server runs compiled (esbuild), as `npm run bench -- intake`
 * runs them. BENCH_CPU_PROF=dir writes a V8 CPU profile of each server's measured run there.
 */
import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import autocannon from "autocannon";
import { Redis } from "ioredis";
import { startPrivateRedis } from "../scripts/local-stack/services.js";
import { CONNECTIONS, eventBody, startServer, type ServerKind } from "./intake.js";

const requests = Number(process.argv[2] ?? 30_000);
const roundCount = Number(process.argv[3] ?? 3);
const TICKS_PER_SECOND = 100; // USER_HZ: /proc/<pid>/stat counts CPU time in these.

/** User and system CPU seconds a process has used so far. */
async function cpuSeconds(pid: number): Promise<{ user: number; system: number }> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8");
  // Fields after the command name (in parentheses, which may hold spaces): utime is the 14th, stime the 15th.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return { user: Number(fields[11]) / TICKS_PER_SECOND, system: Number(fields[12]) / TICKS_PER_SECOND };
}
const minus = (a: { user: number; system: number }, b: { user: number; system: number }) => ({
  user: a.user - b.user,
  system: a.system - b.system,
});

let sequence = 0;
async function fire(url: string, amount: number): Promise<void> {
  const result = await autocannon({
    url,
    method: "POST",
    connections: CONNECTIONS,
    amount,
    headers: { "content-type": "application/json; charset=utf-8" },
    requests: [
      { setupRequest: (request) => ({ ...request, body: eventBody(`cost-${process.pid}-${(sequence += 1)}`) }) },
    ],
  });
  if (result.non2xx > 0 || result.errors > 0)
    throw new Error(`${url}: ${result.non2xx} non-2xx, ${result.errors} errors`);
}

const cpuProfileDir = process.env.BENCH_CPU_PROF;
const nodeFlags = [
  ...(cpuProfileDir ? ["--cpu-prof", `--cpu-prof-dir=${cpuProfileDir}`] : []),
  // For `perf record -e cpu-clock -p <pid>` (BENCH_PERF=1 prints each server's pid): JavaScript frames by name.
  ...(process.env.BENCH_PERF === "1" ? ["--perf-basic-prof"] : []),
];
const only = process.env.BENCH_KINDS?.split(",");

const median = (values: number[]) => [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)]!;

async function main() {
  const redis = await startPrivateRedis();
  const client = new Redis(redis.url);
  const secret = randomBytes(16).toString("hex");
  const prefix = "cost";
  const all: { kind: ServerKind; args: string[]; path: string }[] = [
    { kind: "bare", args: [], path: "/" },
    { kind: "bare-minimal", args: [], path: "/" },
    { kind: "intake", args: [redis.url, prefix, secret], path: `/api/eventgrid?code=${secret}` },
    { kind: "intake-without-redis", args: [redis.url, prefix, secret], path: `/api/eventgrid?code=${secret}` },
  ];
  const kinds = all.filter(({ kind }) => !only || only.includes(kind));
  const figures = new Map<ServerKind, { server: number[]; redis: number[]; load: number[]; wall: number[] }>(
    kinds.map(({ kind }) => [kind, { server: [], redis: [], load: [], wall: [] }]),
  );
  try {
    for (let round = 1; round <= roundCount; round++) {
      for (const { kind, args, path } of kinds) {
        const server = await startServer(kind, args, nodeFlags);
        const url = `http://127.0.0.1:${server.port}${path}`;
        await fire(url, Math.min(requests, 10_000)); // warm-up: JIT, connection pools
        await client.config("RESETSTAT");
        if (process.env.BENCH_PERF === "1") console.log(`${kind} pid ${server.pid}`);
        const serverBefore = await cpuSeconds(server.pid);
        const redisBefore = await cpuSeconds(redis.process.pid!);
        const loadBefore = process.cpuUsage();
        const started = process.hrtime.bigint();
        await fire(url, requests);
        const wall = Number(process.hrtime.bigint() - started) / 1e9;
        const load = process.cpuUsage(loadBefore);
        const serverCpu = minus(await cpuSeconds(server.pid), serverBefore);
        const redisCpu = minus(await cpuSeconds(redis.process.pid!), redisBefore);
        const stats = kind === "intake" ? await client.info("commandstats") : "";
        await server.stop();
        const perRequest = (seconds: number) => (seconds * 1e6) / requests;
        const f = figures.get(kind)!;
        f.server.push(perRequest(serverCpu.user + serverCpu.system));
        f.redis.push(perRequest(redisCpu.user + redisCpu.system));
        f.load.push((load.user + load.system) / requests);
        f.wall.push(requests / wall);
        console.log(
          `round ${round} ${kind.padEnd(13)} server ${perRequest(serverCpu.user).toFixed(1)} user + ` +
            `${perRequest(serverCpu.system).toFixed(1)} system µs/req, redis ${perRequest(redisCpu.user).toFixed(1)} + ` +
            `${perRequest(redisCpu.system).toFixed(1)} µs/req, load generator ${((load.user + load.system) / requests).toFixed(1)} ` +
            `µs/req, ${(requests / wall).toFixed(0)} req/s (noisy)`,
        );
        for (const line of stats.split("\n").filter((l) => /^cmdstat_(evalsha|eval|exists|set|xadd)/.test(l)))
          console.log(`    ${line.trim()}`);
      }
    }
    for (const { kind } of kinds) {
      const f = figures.get(kind)!;
      console.log(
        `median ${kind.padEnd(13)} server ${median(f.server).toFixed(1)} µs/req, redis ${median(f.redis).toFixed(1)} ` +
          `µs/req, load generator ${median(f.load).toFixed(1)} µs/req, ${median(f.wall).toFixed(0)} req/s`,
      );
    }
  } finally {
    client.disconnect();
    await redis.stop();
  }
}

await main();
