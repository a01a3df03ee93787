// The health view's Redis adapter: signals shared by replicas, expiring by themselves.
import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inject } from "vitest";
import { deleteKeysMatching } from "../../scripts/local-stack/services.js";
import { HEALTHY, assessHealth, createHealthStore, type HealthStore } from "../../src/health/index.js";

const prefix = `${inject("runId")}:${randomBytes(4).toString("hex")}`;
let redis: Redis;
let health: HealthStore;

beforeAll(() => {
  redis = new Redis(inject("redisUrl"));
  health = createHealthStore(redis, prefix);
});
afterAll(async () => {
  await deleteKeysMatching(redis, `${prefix}:*`);
  redis.disconnect();
});

/** Polls `probe` until it holds: the signals expire in Redis (their TTLs, shortened here), nothing else ends them. */
async function until(probe: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe("health store", () => {
  it("starts healthy", async () => {
    expect(await health.read()).toEqual({ storage: HEALTHY, acs: HEALTHY });
  });

  it("a probe marks storage down until it answers again, or until the mark expires", async () => {
    expect(await health.markDown("storage", "probe failed: ECONNREFUSED", 60_000)).toBe(true);
    expect(await health.markDown("storage", "probe failed: ECONNREFUSED", 60_000)).toBe(false); // already down
    expect(assessHealth(await health.read(), 3)).toEqual({
      canRecord: false,
      problems: ["storage: probe failed: ECONNREFUSED"],
    });
    expect(await health.markUp("storage")).toBe(true);
    expect(await health.markUp("storage")).toBe(false);
    expect((await health.read()).storage).toEqual(HEALTHY);

    await health.markDown("storage", "probe failed", 300);
    expect((await health.read()).storage.down).toBe("probe failed");
    await until(async () => (await health.read()).storage.down === undefined, "the mark to expire");
  });

  it("counts failures in a row; a success, or a quiet window, ends the run", async () => {
    for (let i = 0; i < 3; i++) await health.noteFailure("acs", `connect-call: 503 #${i}`, 60_000);
    expect((await health.read()).acs).toEqual({ down: undefined, failures: 3, lastFailure: "connect-call: 503 #2" });
    expect(assessHealth(await health.read(), 3).canRecord).toBe(false);
    await health.noteSuccess("acs");
    expect((await health.read()).acs).toEqual(HEALTHY);

    await health.noteFailure("acs", "x", 300);
    await health.noteFailure("acs", "x", 300);
    expect((await health.read()).acs.failures).toBe(2);
    await until(async () => (await health.read()).acs.failures === 0, "the window to pass");
    await health.noteFailure("acs", "y", 300);
    expect((await health.read()).acs.failures).toBe(1);
  });
});
