import { describe, expect, it } from "vitest";
import { Scheduler } from "../scheduler.js";
import { DeliveryQueue, type AttemptOutcome } from "./queue.js";

/** Five deliveries to one destination, each held open until released; what was in flight, in which order. */
async function deliverFive(concurrency: number | undefined) {
  const scheduler = new Scheduler(() => undefined);
  const queue =
    concurrency === undefined
      ? new DeliveryQueue(scheduler, [], () => undefined)
      : new DeliveryQueue(scheduler, [], () => undefined, concurrency);
  const started: number[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const releases: (() => void)[] = [];
  for (let i = 0; i < 5; i++) {
    queue.enqueue("http://endpoint", { i }, async () => {
      started.push(i);
      maxInFlight = Math.max(maxInFlight, ++inFlight);
      await new Promise<void>((resolve) => releases.push(resolve));
      inFlight--;
      return { result: "delivered", detail: "HTTP 200" } satisfies AttemptOutcome;
    });
  }
  // Release whatever is in flight, oldest first, until all five went out.
  while (started.length < 5 || inFlight > 0) {
    await new Promise((r) => setTimeout(r, 5));
    releases.shift()?.();
  }
  scheduler.stop();
  return { started, maxInFlight };
}

describe("DeliveryQueue", () => {
  it.each([
    [undefined, 1],
    [1, 1],
    [3, 3],
  ])("with concurrency %s: first attempts start in order, at most %i at once", async (concurrency, most) => {
    const { started, maxInFlight } = await deliverFive(concurrency);
    expect(started).toEqual([0, 1, 2, 3, 4]);
    expect(maxInFlight).toBe(most);
  });
});
