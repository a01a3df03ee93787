// Repeatability-Request-ID: the same id on a repeatable operation returns the first response and does
// not execute again (docs/acs-payloads.md "REST calls the SDK makes"). Only successes are remembered, so a failed try can be retried.
import type { Reply, SimRequest } from "./http.js";

export interface Remembered {
  reply: Reply;
  trace: SimRequest["trace"];
}

const MAX_ENTRIES = 10_000;

export class RepeatabilityCache {
  private readonly replies = new Map<string, Remembered>();

  get(operation: string, requestId: string): Remembered | undefined {
    return this.replies.get(`${operation}\n${requestId}`);
  }

  remember(operation: string, requestId: string, reply: Reply, trace: SimRequest["trace"]): void {
    if (reply.stream || reply.status < 200 || reply.status > 299) return;
    if (this.replies.size >= MAX_ENTRIES) {
      const oldest = this.replies.keys().next();
      if (!oldest.done) this.replies.delete(oldest.value);
    }
    this.replies.set(`${operation}\n${requestId}`, { reply, trace: { ...trace } });
  }
}
