import { describe, expect, it } from "vitest";
import type { IntakeDurability } from "../intake/durability.js";
import { parseDeclaredSettings } from "./declared.js";
import { assessRedisSettings, withDeclared, type NodeSettings } from "./settings.js";

const good: NodeSettings = {
  node: "10.0.0.1:6379",
  readable: true,
  maxmemoryPolicy: "noeviction",
  appendonly: true,
  appendfsync: "always",
  connectedReplicas: 1,
};
const memory: IntakeDurability = { mode: "memory" };
const aof: IntakeDurability = { mode: "aof" };
const replicas = (n: number): IntakeDurability => ({ mode: "replicas", replicas: n, timeoutMs: 1000 });

describe("assessRedisSettings", () => {
  it.each<[string, NodeSettings[], IntakeDurability | undefined, RegExp[], RegExp[]]>([
    ["all as needed, aof", [good], aof, [], []],
    ["all as needed, replicas:1", [good], replicas(1), [], []],
    ["the CLI asks only about eviction", [{ ...good, appendonly: false, connectedReplicas: 0 }], undefined, [], []],
    [
      "an evicting policy (Azure Cache for Redis's default)",
      [{ ...good, maxmemoryPolicy: "volatile-lru" }],
      aof,
      [/10\.0\.0\.1:6379: maxmemory-policy is volatile-lru.*set `maxmemory-policy noeviction`/],
      [],
    ],
    [
      "every master of a Cluster is checked, and named",
      [good, { ...good, node: "10.0.0.2:6379", maxmemoryPolicy: "allkeys-lru" }, { ...good, node: "10.0.0.3:6379" }],
      memory,
      [/^Redis 10\.0\.0\.2:6379: maxmemory-policy is allkeys-lru/],
      [/INTAKE_DURABILITY=memory in production/],
    ],
    [
      "aof without appendonly",
      [{ ...good, appendonly: false }],
      aof,
      [/INTAKE_DURABILITY=aof needs `appendonly yes`.*INTAKE_DURABILITY=replicas:N/],
      [],
    ],
    [
      "aof with everysec starts, warned: a crash while the disk is slow loses acknowledged events",
      [{ ...good, appendfsync: "everysec" }],
      aof,
      [],
      [/appendfsync is everysec.*crash of redis-server while the disk is slow.*`appendfsync always`/],
    ],
    [
      "aof where CONFIG GET is refused (appendfsync unknown) is warned the same",
      [{ ...good, appendfsync: undefined }],
      aof,
      [],
      [/appendfsync is unknown \(CONFIG GET refused\)/],
    ],
    ["aof with appendfsync no", [{ ...good, appendfsync: "no" }], aof, [], [/appendfsync is no/]],
    [
      "fewer replicas than replicas:N",
      [{ ...good, connectedReplicas: 1 }],
      replicas(2),
      [],
      [/replicas:2 but 1 replica/],
    ],
    [
      "a server that does not report its policy",
      [{ ...good, maxmemoryPolicy: undefined }],
      memory,
      [/does not report its maxmemory-policy.*REDIS_DECLARED_SETTINGS=maxmemory-policy=noeviction/],
      [/INTAKE_DURABILITY=memory in production/],
    ],
    [
      "aof on a server that does not report AOF",
      [{ ...good, appendonly: undefined }],
      aof,
      [/does not report whether AOF is on.*REDIS_DECLARED_SETTINGS=appendonly=yes/],
      [],
    ],
    [
      "settings that cannot be read at all",
      [
        {
          node: "10.0.0.1:6379",
          readable: false,
          error: "NOPERM this user has no permissions to run the 'info' command",
        },
      ],
      aof,
      [/could not read its settings \(INFO failed: NOPERM.*allow INFO/],
      [],
    ],
  ])("%s", (_label, nodes, durability, problems, warnings) => {
    const production = assessRedisSettings(nodes, { production: true, durability });
    expect(production.problems).toHaveLength(problems.length);
    problems.forEach((pattern, i) => expect(production.problems[i]).toMatch(pattern));
    expect(production.warnings).toHaveLength(warnings.length);
    warnings.forEach((pattern, i) => expect(production.warnings[i]).toMatch(pattern));
    // Outside production nothing stops the process: the same findings are warnings.
    const development = assessRedisSettings(nodes, { production: false, durability });
    expect(development.problems).toEqual([]);
    expect(development.warnings).toEqual([
      ...production.problems,
      ...production.warnings.filter((w) => !w.includes("in production")),
    ]);
  });
});

describe("REDIS_DECLARED_SETTINGS", () => {
  it.each([
    ["maxmemory-policy=noeviction", { maxmemoryPolicy: "noeviction" }],
    [" maxmemory-policy = volatile-lru , appendonly=yes ", { maxmemoryPolicy: "volatile-lru", appendonly: true }],
    ["appendonly=no", { appendonly: false }],
    ["appendonly=yes,appendfsync=always", { appendonly: true, appendfsync: "always" }],
  ])("reads %j", (text, declared) => {
    expect(parseDeclaredSettings(text)).toEqual(declared);
  });

  it.each(["maxmemory-policy=lru", "appendonly=true", "appendfsync=sometimes", "noeviction"])("refuses %j", (text) => {
    expect(() => parseDeclaredSettings(text)).toThrow(
      /only maxmemory-policy=<policy>, appendonly=yes\|no and appendfsync/,
    );
  });

  it("fills only what the server did not report, and says so", () => {
    const declared = { maxmemoryPolicy: "noeviction", appendonly: true, appendfsync: "always" };
    const hidden: NodeSettings = { node: "amr:10000", readable: true, connectedReplicas: 0 };
    expect(withDeclared(hidden, declared)).toEqual({
      ...hidden,
      maxmemoryPolicy: "noeviction",
      appendonly: true,
      appendfsync: "always",
      declared: ["maxmemory-policy", "appendonly", "appendfsync"],
    });
    // What the server reports wins: an evicting policy is not hidden by a declaration.
    const evicting = { ...good, maxmemoryPolicy: "volatile-lru" };
    expect(withDeclared(evicting, declared)).toBe(evicting);
    expect(assessRedisSettings([withDeclared(evicting, declared)], { production: true }).problems).toHaveLength(1);
    // A server that refuses INFO altogether is judged on the declarations.
    const refused: NodeSettings = { node: "x:6380", readable: false, error: "unknown command 'INFO'" };
    expect(assessRedisSettings([withDeclared(refused, declared)], { production: true, durability: aof })).toEqual({
      problems: [],
      warnings: [],
    });
  });
});
