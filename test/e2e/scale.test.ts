// The scale scenario, reduced for CI (the full one is `npm run bench -- scale`): two webhook and two worker
// processes, calls placed steadily, one webhook and one worker SIGKILLed mid-run; every required call must still be
// connected once, recorded once and archived once.
import { describe, expect, inject, it } from "vitest";
import { runScaleScenario } from "../../bench/scale-scenario.js";

describe("two webhooks and two workers, one of each killed mid-run", () => {
  it("record and archive every required call exactly once", async () => {
    const report = await runScaleScenario({
      calls: 80,
      spreadMs: 10_000,
      callDurationMs: 15_000,
      recordingDurationMs: 500,
      notRequiredEvery: 10,
      baselineCalls: 0,
      killAtMs: 5_000,
      redisUrl: inject("redisUrl"),
      // A killed worker's jobs run elsewhere 3–6 s later (lock, then the stalled check): within the policy's 10 s
      // start deadline, and well within the calls' 15 s.
      workerLockMs: 3_000,
      workerConcurrency: 8,
      deliveryConcurrency: 16,
      settleTimeoutMs: 30_000,
    });
    // On failure: each problem call with its requests at ACS (ms after the start), e.g. "12227 connect 404".
    expect(report.problems).toEqual([]);
    // The kill came mid-run (not its timer's precision: a timer may fire a millisecond "early" by the wall clock).
    expect(report.placedAroundKill?.before).toBeGreaterThan(10);
    expect(report.placedAroundKill?.after).toBeGreaterThan(10);
    expect(report.required).toBe(72);
    expect(report.recordedExactlyOnce).toBe(72);
    expect(report.notRequiredUntouched).toBe(8);
    // Both webhooks took deliveries (the spread really spread them) before one of them died.
    expect(report.delivery.answered.every((count) => count > 0)).toBe(true);
    expect(report.timeToRecord.count).toBe(72);
  }, 150_000);
});
