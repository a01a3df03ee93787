// At-least-once delivery: first attempts go out in order per destination (at most `concurrency` at once; 1 = one
// after the other), failures are retried on the (scaled-down) schedule independently, so one failing event does
// not hold back the next.
import type { Scheduler } from "../scheduler.js";

export type AttemptOutcome = { result: "delivered" | "retry" | "drop"; detail: string };

/** attempt(n) makes delivery attempt n (0 = first); it must not throw. */
export type Attempt = (deliveryCount: number) => Promise<AttemptOutcome>;

type Log = (line: Record<string, unknown>) => void;

interface Lane {
  waiting: (() => Promise<void>)[];
  running: number;
}

export class DeliveryQueue {
  private readonly lanes = new Map<string, Lane>();

  constructor(
    private readonly scheduler: Scheduler,
    private readonly retryMs: readonly number[],
    private readonly log: Log,
    private readonly concurrency = 1,
  ) {}

  enqueue(destination: string, label: Record<string, unknown>, attempt: Attempt): void {
    const lane = this.lanes.get(destination) ?? { waiting: [], running: 0 };
    this.lanes.set(destination, lane);
    lane.waiting.push(() =>
      this.run(destination, label, attempt, 0).catch((err: unknown) =>
        this.log({ msg: "delivery failed unexpectedly", ...label, error: String(err) }),
      ),
    );
    this.pump(destination, lane);
  }

  /** Starts first attempts in order while fewer than `concurrency` are in flight. */
  private pump(destination: string, lane: Lane): void {
    while (lane.running < this.concurrency && lane.waiting.length > 0) {
      const first = lane.waiting.shift()!;
      lane.running++;
      void first().then(() => {
        lane.running--;
        if (lane.running === 0 && lane.waiting.length === 0) this.lanes.delete(destination);
        else this.pump(destination, lane);
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
