import { describe, expect, it } from "vitest";
import { firstAddress, parseRedisUrl, RedisUrlError } from "./target.js";

describe("parseRedisUrl", () => {
  it.each([
    ["redis://127.0.0.1:6379", { kind: "single", url: "redis://127.0.0.1:6379" }],
    ["rediss://:pw@cache.example.com:6380/2", { kind: "single", url: "rediss://:pw@cache.example.com:6380/2" }],
    [
      "redis+cluster://127.0.0.1:7000,127.0.0.1:7001",
      {
        kind: "cluster",
        tls: false,
        nodes: [
          { host: "127.0.0.1", port: 7000 },
          { host: "127.0.0.1", port: 7001 },
        ],
      },
    ],
    [
      "rediss+cluster://app:p%40ss%2Cword@node-a:7000,[::1]:7001,node-c",
      {
        kind: "cluster",
        tls: true,
        username: "app",
        password: "p@ss,word",
        nodes: [
          { host: "node-a", port: 7000 },
          { host: "::1", port: 7001 },
          { host: "node-c", port: 6379 },
        ],
      },
    ],
    [
      "redis+sentinel://:secret@s1:26379,s2/recorder-master/3?sentinelPassword=sp",
      {
        kind: "sentinel",
        tls: false,
        password: "secret",
        sentinels: [
          { host: "s1", port: 26379 },
          { host: "s2", port: 26379 },
        ],
        masterName: "recorder-master",
        db: 3,
        sentinelPassword: "sp",
      },
    ],
    [
      "redis+sentinel://s1:5000/mymaster",
      { kind: "sentinel", tls: false, sentinels: [{ host: "s1", port: 5000 }], masterName: "mymaster", db: 0 },
    ],
  ])("reads %s", (url, target) => {
    expect(parseRedisUrl(url)).toEqual(target);
  });

  it.each([
    ["localhost:6379", "must be redis://"],
    ["http://127.0.0.1:6379", "must be redis://"],
    ["redis+cluster://", "names no node"],
    ["redis+cluster://a:7000/1", "database 0 only"],
    ["redis+cluster://a:port", '"a:port" is not host:port'],
    ["redis+cluster://a:70000", "is not host:port"],
    ["redis+sentinel://s1:26379", "needs the master's name"],
    ["redis+sentinel://s1:26379/m/x", "only a database number"],
  ])("refuses %s", (url, message) => {
    expect(() => parseRedisUrl(url)).toThrow(RedisUrlError);
    expect(() => parseRedisUrl(url)).toThrow(message);
  });

  it("never repeats a password in its complaints", () => {
    expect(() => parseRedisUrl("redis+cluster://:hunter2@a:bad")).toThrow(/^(?!.*hunter2)/);
  });

  it("knows where to ask first", () => {
    expect(firstAddress(parseRedisUrl("redis://cache:6380"))).toEqual({ host: "cache", port: 6380 });
    expect(firstAddress(parseRedisUrl("redis://cache"))).toEqual({ host: "cache", port: 6379 });
    expect(firstAddress(parseRedisUrl("redis+cluster://a:7000,b:7001"))).toEqual({ host: "a", port: 7000 });
    expect(firstAddress(parseRedisUrl("redis+sentinel://s:26380/m"))).toEqual({ host: "s", port: 26380 });
  });
});
