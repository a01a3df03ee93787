import { describe, expect, it } from "vitest";
import { Scheduler } from "../scheduler.js";
import { DeliveryQueue, type AttemptOutcome } from "./queue.js";

/** Enqueues `count` deliveries that each take `ms`; reports the most in flight at once and the start order. */
async function deliver(maxInFlight: number | undefined, count: number, ms: number) {
  const scheduler = new Scheduler(() => undefined);
  const queue = new DeliveryQueue(scheduler, [], () => undefined, maxInFlight);
  let inFlight = 0;
  let most = 0;
  const started: number[] = [];
  const done = Array.from({ length: count }, (_, i) => {
    return new Promise<void>((resolve) =>
      queue.enqueue("http://app/api/eventgrid", { i }, async (): Promise<AttemptOutcome> => {
        started.push(i);
        inFlight += 1;
        most = Math.max(most, inFlight);
        await new Promise((r) => setTimeout(r, ms));
        inFlight -= 1;
        resolve();
        return { result: "delivered", detail: "200" };
      }),
    );
  });
  await Promise.all(done);
  scheduler.stop();
  return { most, started };
}

describe("DeliveryQueue", () => {
  it("delivers one after another by default, in order", async () => {
    expect(await deliver(undefined, 5, 5)).toEqual({ most: 1, started: [0, 1, 2, 3, 4] });
  });

  it("keeps up to maxInFlight deliveries in flight per destination, started in order", async () => {
    const { most, started } = await deliver(3, 9, 20);
    expect(most).toBe(3);
    expect(started).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
  });
});
