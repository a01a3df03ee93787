import { describe, expect, it } from "vitest";
import { sentinelOptions } from "./connection.js";

describe("sentinelOptions", () => {
  it("is undefined without sentinels (REDIS_URL is used as it is)", () => {
    expect(sentinelOptions({ REDIS_URL: "redis://h:6379" })).toBeUndefined();
  });

  it.each([
    [
      "credentials and database from REDIS_URL, default sentinel port",
      { REDIS_URL: "redis://app:p%40ss@x/2", REDIS_SENTINELS: ["s1:26380", "s2"], REDIS_SENTINEL_NAME: "m" },
      {
        sentinels: [
          { host: "s1", port: 26380 },
          { host: "s2", port: 26379 },
        ],
        name: "m",
        username: "app",
        password: "p@ss",
        db: 2,
      },
    ],
    [
      "TLS and a sentinel password",
      {
        REDIS_URL: "rediss://:pw@x",
        REDIS_SENTINELS: ["s1:26379"],
        REDIS_SENTINEL_NAME: "m",
        REDIS_SENTINEL_PASSWORD: "sp",
      },
      { password: "pw", sentinelPassword: "sp", db: 0, tls: {}, enableTLSForSentinelMode: true },
    ],
  ])("%s", (_what, settings, expected) => {
    expect(sentinelOptions(settings)).toMatchObject({ ...expected, failoverDetector: true });
  });

  it("refuses sentinels without the master group's name, and bad ports", () => {
    expect(() => sentinelOptions({ REDIS_URL: "redis://x", REDIS_SENTINELS: ["s1"] })).toThrow("REDIS_SENTINEL_NAME");
    expect(() =>
      sentinelOptions({ REDIS_URL: "redis://x", REDIS_SENTINELS: ["s1:0"], REDIS_SENTINEL_NAME: "m" }),
    ).toThrow("bad port");
  });
});
