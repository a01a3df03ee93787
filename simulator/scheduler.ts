// Every delayed action of the simulator goes through here, so stop() can cancel them all at once.
import { setMaxListeners } from "node:events";

export interface Timer {
  cancel(): void;
}

export class Scheduler {
  private readonly timers = new Set<NodeJS.Timeout>();
  private stopped = false;
  readonly abort = new AbortController();

  constructor(private readonly onError: (err: unknown) => void) {
    // Every delivery in flight listens to it: dozens at once is normal, not a leak.
    setMaxListeners(0, this.abort.signal);
  }

  after(ms: number, fn: () => void | Promise<void>): Timer {
    if (this.stopped) return { cancel: () => {} };
    const t = setTimeout(() => {
      this.timers.delete(t);
      try {
        Promise.resolve(fn()).catch(this.onError);
      } catch (err) {
        this.onError(err);
      }
    }, ms);
    this.timers.add(t);
    return {
      cancel: () => {
        clearTimeout(t);
        this.timers.delete(t);
      },
    };
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.abort.abort();
  }
}
