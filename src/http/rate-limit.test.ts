import { describe, expect, it } from "vitest";
import { createRateLimiter, isLimitedPath } from "./rate-limit.js";

describe("rate limiter", () => {
  it("allows `limit` requests per key and window, then says how long to wait; a new window starts afresh", () => {
    let now = 120_000 + 15_000; // 15 s into a minute
    const limiter = createRateLimiter({ now: () => now });
    const taken = Array.from({ length: 4 }, () => limiter.take("ip:a", 3));
    expect(taken).toEqual([undefined, undefined, undefined, 45]);
    expect(limiter.take("ip:b", 3)).toBeUndefined();
    now += 44_500;
    expect(limiter.take("ip:a", 3)).toBe(1);
    now += 1_000;
    expect(limiter.take("ip:a", 3)).toBeUndefined();
  });

  it("holds at most maxKeys keys a window: the rest share one count", () => {
    const limiter = createRateLimiter({ maxKeys: 2, now: () => 0 });
    expect(limiter.take("a", 1)).toBeUndefined();
    expect(limiter.take("b", 1)).toBeUndefined();
    expect(limiter.take("c", 1)).toBeUndefined(); // the first key over the cap: the shared count is 1
    expect(limiter.take("d", 1)).toBe(60); // another: the shared count is 2
    expect(limiter.take("a", 1)).toBe(60); // a known key keeps its own count (now 2)
  });

  it.each([
    ["/api/recordings", true],
    ["/api/exports/x", true],
    ["/admin/queues/api/queues", true],
    ["/admin/login", true],
    ["/api/eventgrid", false],
    ["/api/callbacks", false],
    ["/healthz", false],
    ["/qa/app.js", false],
  ])("%s is limited: %s", (path, limited) => {
    expect(isLimitedPath(path)).toBe(limited);
  });
});
