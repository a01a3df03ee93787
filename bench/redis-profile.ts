/**
 * What each Redis command of a run was for, counted with MONITOR: every command a client sent, by name, with a
 * script (EVALSHA/EVAL) named by what it is — BullMQ's scripts by their name (`bullmq:moveToFinished`), the app's
 * by their first line — and the commands a script ran inside it counted to that script (Redis runs a script
 * whole, so MONITOR lists its commands right after it). Counts, not times: they do not depend on the machine's
 * load. MONITOR costs Redis CPU: a timed run should not profile.
 */
import { createHash } from "node:crypto";
import * as bullScripts from "bullmq/dist/esm/scripts/index.js";
import { Redis } from "ioredis";

export interface CommandCount {
  /** Sent by clients (for a transaction, each command queued in it). */
  sent: number;
  /** Run inside the scripts of this name. */
  inner: number;
}

export type RedisProfile = Record<string, CommandCount>;

const sha1 = (text: string) => createHash("sha1").update(text).digest("hex");

/** BullMQ's scripts by SHA-1 (ioredis sends each as EVALSHA of its content). */
const BULL_SCRIPTS = new Map<string, string>(
  Object.values(bullScripts as unknown as Record<string, { name?: unknown; content?: unknown }>).flatMap((script) =>
    typeof script.name === "string" && typeof script.content === "string"
      ? [[sha1(script.content), `bullmq:${script.name}`] as const]
      : [],
  ),
);

/** An app script sent with EVAL, named by its first non-empty line (shortened). */
function scriptName(body: string): string {
  const line = body
    .split("\n")
    .map((l) => l.replace(/\\n/g, " ").trim())
    .find((l) => l !== "");
  return `eval:${(line ?? "").slice(0, 60)}`;
}

/** Starts counting (one Redis server: MONITOR sees one node); `stop` ends it and returns the counts, most first. */
export async function startRedisProfile(redisUrl: string): Promise<{ stop(): Promise<RedisProfile> }> {
  const client = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const monitor = await client.monitor();
  const counts: RedisProfile = {};
  const scripts = new Map<string, string>(BULL_SCRIPTS);
  let current = "";
  const count = (name: string, field: keyof CommandCount) => {
    counts[name] ??= { sent: 0, inner: 0 };
    counts[name][field] += 1;
  };
  monitor.on("monitor", (_time: string, args: string[], source: string) => {
    const command = (args[0] ?? "").toLowerCase();
    if (source === "lua") {
      count(current || "lua:unknown", "inner");
      if (process.env.BENCH_PROFILE_INNER === "1") count(`${current} > ${command}`, "inner");
      return;
    }
    if (command === "evalsha" || command === "evalsha_ro") {
      current = scripts.get(args[1] ?? "") ?? `evalsha:${(args[1] ?? "").slice(0, 8)}`;
    } else if (command === "eval" || command === "eval_ro") {
      current = scriptName(args[1] ?? "");
      scripts.set(sha1(args[1] ?? ""), current);
    } else if (command === "script" && (args[1] ?? "").toLowerCase() === "load") {
      scripts.set(sha1(args[2] ?? ""), scriptName(args[2] ?? ""));
      current = "script load";
    } else {
      current = command;
    }
    count(current, "sent");
  });
  return {
    async stop() {
      monitor.disconnect();
      client.disconnect();
      return Object.fromEntries(Object.entries(counts).sort(([, a], [, b]) => b.sent + b.inner - (a.sent + a.inner)));
    },
  };
}

/** The profile per call, one line per origin: `name sent+inner`, the biggest first. */
export function profileLines(profile: RedisProfile, calls: number, top = 30): string[] {
  const perCall = (n: number) => (n / calls).toFixed(1);
  const total = Object.values(profile).reduce((sum, c) => sum + c.sent + c.inner, 0);
  return [
    `Redis commands per call by origin (MONITOR; ${perCall(total)} in all, scripts' own commands included):`,
    ...Object.entries(profile)
      .slice(0, top)
      .map(
        ([name, c]) =>
          `    ${perCall(c.sent + c.inner).padStart(6)}  ${name}${c.inner > 0 ? ` (${perCall(c.sent)} sent, ${perCall(c.inner)} inside)` : ""}`,
      ),
  ];
}
