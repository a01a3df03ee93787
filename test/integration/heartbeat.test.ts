// Worker heartbeats in Redis: what /readyz reports as workers alive, and the worker's own /readyz.
import { randomBytes } from "node:crypto";
import type { Server } from "node:http";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it, inject } from "vitest";
import { deleteKeysMatching } from "../../scripts/local-stack/services.js";
import {
  aliveWorkers,
  HEARTBEAT_TTL_MS,
  heartbeatKey,
  rolesReadiness,
  startHeartbeat,
} from "../../src/observability/heartbeat.js";
import { createWorkerHttp } from "../../workers/http.js";
import { listen } from "../support/http.js";

const prefix = `${inject("runId")}:beat-${randomBytes(4).toString("hex")}`;
let redis: Redis;
beforeAll(() => {
  redis = new Redis(inject("redisUrl"), { maxRetriesPerRequest: 1 });
});
afterAll(async () => {
  await deleteKeysMatching(redis, `${prefix}:*`);
  redis.disconnect();
});

describe("worker heartbeats", () => {
  it("counts a beating worker, not one whose last beat is older than the TTL, and forgets one that stopped", async () => {
    const errors: unknown[] = [];
    const beat = startHeartbeat(redis, prefix, { id: "worker-a", roles: ["control"] }, (e) => errors.push(e), 50);
    await beat.started;
    // A worker that died without a clean stop: its last beat is just past the TTL.
    await redis.zadd(heartbeatKey(prefix), Date.now() - HEARTBEAT_TTL_MS - 1_000, "worker-dead");
    // It keeps beating: wait for a beat after the first.
    const first = beat.lastBeatAt() ?? 0;
    for (const deadline = Date.now() + 5_000; (beat.lastBeatAt() ?? 0) <= first;) {
      if (Date.now() > deadline) throw new Error("no second beat");
      await new Promise((r) => setTimeout(r, 10));
    }

    const alive = await aliveWorkers(redis, prefix);
    expect(alive.map((w) => [w.id, w.roles])).toEqual([["worker-a", ["control"]]]);
    expect(alive[0]!.lastBeatSecondsAgo).toBeLessThan(HEARTBEAT_TTL_MS / 1000);

    await beat.stop();
    expect(await aliveWorkers(redis, prefix)).toEqual([]);
    expect(errors).toEqual([]);
  });

  it("makes the worker's /readyz answer 200 while it beats and Redis answers, 503 otherwise", async () => {
    const beat = startHeartbeat(redis, `${prefix}:http`, { id: "worker-b", roles: ["ingest"] }, () => undefined, 50);
    await beat.started;
    let redisUp = true;
    const app = createWorkerHttp({
      ping: async () => {
        if (!redisUp) throw new Error("Connection is closed.");
        return redis.ping();
      },
      heartbeat: beat,
      roles: ["ingest"],
      deployment: () => rolesReadiness(redis, `${prefix}:http`),
    });
    const { server, base }: { server: Server; base: string } = await listen(app);
    try {
      const ready = await fetch(`${base}/readyz`);
      expect(ready.status).toBe(200);
      // Ready itself, and says that nobody runs control, retrieval or operations (their queues wait).
      expect(await ready.json()).toEqual({
        ready: true,
        role: "ingest",
        checks: {
          redis: "ok",
          heartbeat: "ok",
          workers: "degraded: no worker alive serves control, retrieval, operations: its queues wait (WORKER_ROLE)",
        },
      });
      const health = await fetch(`${base}/healthz`);
      expect(health.status).toBe(200);
      expect(await health.json()).toEqual({ status: "ok", role: "ingest" });
      expect(await (await fetch(`${base}/metrics`)).text()).toContain("# TYPE jobs_failed_total counter");

      redisUp = false;
      const down = await fetch(`${base}/readyz`);
      expect(down.status).toBe(503);
      expect(await down.json()).toMatchObject({ ready: false, checks: { redis: "Connection is closed." } });
    } finally {
      await beat.stop();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it("says which role has no worker alive: degraded until some worker serves each; an older worker's `all` is not operations", async () => {
    const at = `${prefix}:roles`;
    expect(await rolesReadiness(redis, at)).toEqual({
      degraded: "no worker alive: events and recordings wait in Redis",
    });
    const control = startHeartbeat(redis, at, { id: "pod-c", roles: ["control"] }, () => undefined, 50);
    const rest = startHeartbeat(redis, at, { id: "pod-i", roles: ["ingest", "retrieval"] }, () => undefined, 50);
    await Promise.all([control.started, rest.started]);
    // The periodic jobs have their own role: served by no one yet.
    expect((await rolesReadiness(redis, at))?.degraded).toMatch(/no worker alive serves operations:/);
    const operations = startHeartbeat(redis, at, { id: "pod-o", roles: ["operations"] }, () => undefined, 50);
    await operations.started;
    expect(await rolesReadiness(redis, at)).toBeUndefined();
    await operations.stop();
    await control.stop();
    expect((await rolesReadiness(redis, at))?.degraded).toMatch(/no worker alive serves control, operations:/);
    // Older workers (a beat naming no roles, or `@all`) ran every queue they knew, which did not include the
    // operations queue: they count for control, not for the periodic jobs they never take (a rolling upgrade).
    await redis.zadd(heartbeatKey(at), Date.now(), "old-pod-1");
    await redis.zadd(heartbeatKey(at), Date.now(), "old-pod-2@all");
    expect((await rolesReadiness(redis, at))?.degraded).toMatch(/no worker alive serves operations:/);
    const alive = await aliveWorkers(redis, at);
    expect(alive.map((w) => [w.id, w.roles]).sort()).toEqual([
      ["old-pod-1", ["control", "ingest", "retrieval"]],
      ["old-pod-2", ["control", "ingest", "retrieval"]],
      ["pod-i", ["ingest", "retrieval"]],
    ]);
    // A newer worker's role this version does not know: taken as serving everything, as it may.
    await redis.zadd(heartbeatKey(at), Date.now(), "new-pod-1@control,transcription");
    expect(await rolesReadiness(redis, at)).toBeUndefined();
    await redis.zrem(heartbeatKey(at), "old-pod-1", "old-pod-2@all", "new-pod-1@control,transcription");
    await rest.stop();
    const all = startHeartbeat(
      redis,
      at,
      { id: "pod-a", roles: ["control", "ingest", "retrieval", "operations"] },
      () => undefined,
    );
    await all.started;
    // Written out, never `all` (which older readers and writers took to mean three roles).
    expect(await redis.zscore(heartbeatKey(at), "pod-a@control,ingest,retrieval,operations")).not.toBeNull();
    expect(await rolesReadiness(redis, at)).toBeUndefined();
    await all.stop();
  });
});
