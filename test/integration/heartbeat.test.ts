// Worker heartbeats in Redis: what /readyz reports as workers alive, and the worker's own /readyz.
import { randomBytes } from "node:crypto";
import type { Server } from "node:http";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it, inject } from "vitest";
import { deleteKeysMatching } from "../../scripts/local-stack/services.js";
import { aliveWorkers, HEARTBEAT_TTL_MS, heartbeatKey, startHeartbeat } from "../../src/observability/heartbeat.js";
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
    const beat = startHeartbeat(redis, prefix, "worker-a", (e) => errors.push(e), 50);
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
    expect(alive.map((w) => w.id)).toEqual(["worker-a"]);
    expect(alive[0]!.lastBeatSecondsAgo).toBeLessThan(HEARTBEAT_TTL_MS / 1000);

    await beat.stop();
    expect(await aliveWorkers(redis, prefix)).toEqual([]);
    expect(errors).toEqual([]);
  });

  it("makes the worker's /readyz answer 200 while it beats and Redis answers, 503 otherwise", async () => {
    const beat = startHeartbeat(redis, `${prefix}:http`, "worker-b", () => undefined, 50);
    await beat.started;
    let redisUp = true;
    const app = createWorkerHttp({
      ping: async () => {
        if (!redisUp) throw new Error("Connection is closed.");
        return redis.ping();
      },
      heartbeat: beat,
    });
    const { server, base }: { server: Server; base: string } = await listen(app);
    try {
      const ready = await fetch(`${base}/readyz`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toEqual({ ready: true, checks: { redis: "ok", heartbeat: "ok" } });
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
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
});
