// At-least-once delivery: first attempts start in order per destination, at most `maxInFlight` at a time
// (Event Grid delivers concurrently and in no fixed order; 1 gives strictly one-after-another delivery);
// failures are retried on the (scaled-down) schedule independently, so one failing event does not hold back
// the next.
import type { Scheduler } from "../scheduler.js";

export type AttemptOutcome = { result: "delivered" | "retry" | "drop"; detail: string };

/** attempt(n) makes delivery attempt n (0 = first); it must not throw. */
export type Attempt = (deliveryCount: number) => Promise<AttemptOutcome>;

type Log = (line: Record<string, unknown>) => void;

interface Lane {
  inFlight: number;
  waiting: (() => Promise<void>)[];
}

export class DeliveryQueue {
  private readonly lanes = new Map<string, Lane>();

  constructor(
    private readonly scheduler: Scheduler,
    private readonly retryMs: readonly number[],
    private readonly log: Log,
    private readonly maxInFlight = 1,
  ) {}

  enqueue(destination: string, label: Record<string, unknown>, attempt: Attempt): void {
    const lane = this.lanes.get(destination) ?? { inFlight: 0, waiting: [] };
    this.lanes.set(destination, lane);
    lane.waiting.push(() =>
      this.run(destination, label, attempt, 0).catch((err: unknown) =>
        this.log({ msg: "delivery failed unexpectedly", ...label, error: String(err) }),
      ),
    );
    this.drain(destination, lane);
  }

  private drain(destination: string, lane: Lane): void {
    while (lane.inFlight < this.maxInFlight && lane.waiting.length > 0) {
      const first = lane.waiting.shift()!;
      lane.inFlight += 1;
      void first().then(() => {
        lane.inFlight -= 1;
        if (lane.inFlight === 0 && lane.waiting.length === 0) this.lanes.delete(destination);
        else this.drain(destination, lane);
      });
    }
  }

  private async run(destination: string, label: Record<string, unknown>, attempt: Attempt, n: number): Promise<void> {
    if (this.scheduler.isStopped) return;
    const outcome = await attempt(n);
    const base = { ...label, destination, deliveryCount: n, detail: outcome.detail };
    if (outcome.result === "delivered") {
      this.log({ msg: "delivered", ...base });
      return;
    }
    const delay = this.retryMs[n];
    if (outcome.result === "drop" || delay === undefined || this.scheduler.isStopped) {
      this.log({ msg: outcome.result === "drop" ? "delivery dropped" : "delivery dead-lettered", ...base });
      return;
    }
    this.log({ msg: "delivery failed, will retry", retryInMs: delay, ...base });
    this.scheduler.after(delay, () => this.run(destination, label, attempt, n + 1));
  }
}
