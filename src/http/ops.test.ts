import { describe, expect, it } from "vitest";
import { readiness, type ReadinessCheck } from "./ops.js";

const ok: ReadinessCheck = async () => undefined;
const degraded: ReadinessCheck = async () => ({ degraded: "policy change refused: a.yaml:1:1: bad" });
const failing: ReadinessCheck = async () => {
  throw new Error("connection refused");
};

describe("readiness", () => {
  it.each([
    { checks: { redis: ok, policies: ok }, ready: true, policies: "ok" },
    {
      checks: { redis: ok, policies: degraded },
      ready: true,
      policies: "degraded: policy change refused: a.yaml:1:1: bad",
    },
    {
      checks: { redis: failing, policies: degraded },
      ready: false,
      policies: "degraded: policy change refused: a.yaml:1:1: bad",
    },
    { checks: { redis: failing, policies: ok }, ready: false, policies: "ok" },
  ])("$ready with policies $policies", async ({ checks, ready, policies }) => {
    const result = await readiness({ readiness: checks });
    expect(result.ready).toBe(ready);
    expect(result.checks.policies).toBe(policies);
    expect(result.checks.redis).toBe(checks.redis === failing ? "connection refused" : "ok");
  });
});
