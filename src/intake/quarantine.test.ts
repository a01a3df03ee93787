import { ReplyError } from "ioredis";
import { describe, expect, it } from "vitest";
import { isRedisUnavailable, reasonOf, recordOf } from "./quarantine.js";

const reply = (message: string) => new ReplyError(message);
const errno = (code: string) => Object.assign(new Error(`connect ${code} 127.0.0.1:6379`), { code });
const named = (name: string, message: string) => Object.assign(new Error(message), { name });
const stackOverflow = (() => {
  try {
    const deep: Record<string, unknown> = {};
    let at = deep;
    for (let i = 0; i < 200_000; i++) at = (at.a = {}) as Record<string, unknown>;
    JSON.stringify(deep);
  } catch (error) {
    return error;
  }
  throw new Error("expected a stack overflow");
})();

describe("isRedisUnavailable: the relay retries the batch (true) or blames the event (false)", () => {
  it.each<[string, unknown, boolean]>([
    ["out of memory under noeviction", reply("OOM command not allowed when used memory > 'maxmemory'."), true],
    ["loading its data after a restart", reply("LOADING Redis is loading the dataset in memory"), true],
    ["a replica after a failover", reply("READONLY You can't write against a read only replica."), true],
    ["a Cluster without a master for a slot", reply("CLUSTERDOWN The cluster is down"), true],
    ["a busy script", reply("BUSY Redis is busy running a script."), true],
    ["refused connection", errno("ECONNREFUSED"), true],
    ["reset connection", errno("ECONNRESET"), true],
    ["ioredis gave up", named("MaxRetriesPerRequestError", "Reached the max retries per request limit"), true],
    ["closed connection", new Error("Connection is closed."), true],
    ["no answer in time", new Error("Command timed out"), true],
    ["a payload too deep to serialise", stackOverflow, false],
    [
      "a script refusing this job's data",
      reply("ERR Error running script (call to f_…): user_script:1: bad data"),
      false,
    ],
    ["an error never seen before", new TypeError("Cannot read properties of undefined"), false],
    ["not even an Error", "weird", false],
  ])("%s → %s", (_label, error, unavailable) => {
    expect(isRedisUnavailable(error)).toBe(unavailable);
  });

  it("keeps a reason short", () => {
    expect(reasonOf(stackOverflow)).toBe("RangeError: Maximum call stack size exceeded");
    expect(reasonOf(new Error("x".repeat(2000)))).toHaveLength(500);
  });
});

describe("recordOf", () => {
  it("describes the events set aside from the body as received, even when that body is broken", () => {
    const body = JSON.stringify([
      { id: "e1", eventType: "Microsoft.Communication.CallStarted", data: { serverCallId: "call-1" } },
      { id: "e2", eventType: "Microsoft.Communication.CallEnded", data: { serverCallId: "call-1" } },
    ]);
    const fields = (extra: Record<string, string>) =>
      Object.entries({ channel: "eventgrid", receivedAt: "2026-01-01T00:00:00Z", entry: "1-0", ...extra }).flat();
    expect(
      recordOf(
        "5-0",
        fields({
          stage: "queue",
          body,
          fresh: '["e2"]',
          reason: "RangeError: too deep",
          events: '[{"id":"e2","type":"Microsoft.Communication.CallEnded","reason":"RangeError: too deep"}]',
        }),
      ).events,
    ).toEqual([
      { id: "e2", type: "Microsoft.Communication.CallEnded", serverCallId: "call-1", reason: "RangeError: too deep" },
    ]);
    const unreadable = recordOf(
      "6-0",
      fields({ stage: "read", body: "[{not json", fresh: '["e9"]', reason: "SyntaxError", events: "[]" }),
    );
    expect(unreadable).toMatchObject({ stage: "read", events: [{ id: "e9", type: "?", reason: "SyntaxError" }] });
    expect(unreadable.bodySha256).toMatch(/^[0-9a-f]{64}$/);
  });
});
