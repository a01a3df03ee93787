import { describe, expect, it } from "vitest";
import { policyReadiness, type PolicyStatus } from "./source.js";

const status = (reloadError?: string[]): PolicyStatus => ({
  hash: "0123456789abcdef0123",
  loadedAt: "2026-12-04T10:00:00.000Z",
  files: [],
  ...(reloadError ? { reloadError } : {}),
});

describe("policyReadiness", () => {
  it("is fine while the files on disk are the set in force", () => {
    expect(policyReadiness(status())).toBeUndefined();
    expect(policyReadiness(status([]))).toBeUndefined();
  });

  it("names each refused file and reason, and the set still in force", () => {
    expect(
      policyReadiness(status(["legal.yaml:3:1: team.id: expected string", "legal.yaml:9:5: rules.0.mode: x"])),
    ).toEqual({
      degraded:
        "policy change refused: legal.yaml:3:1: team.id: expected string; legal.yaml:9:5: rules.0.mode: x; " +
        "the previous policies (0123456789ab) stay in force",
    });
  });

  it("shows at most five problems and counts the rest", () => {
    const problems = Array.from({ length: 7 }, (_, i) => `f${i}.yaml:1:1: bad`);
    const { degraded } = policyReadiness(status(problems))!;
    expect(degraded).toContain("f4.yaml:1:1: bad (and 2 more); the previous policies");
    expect(degraded).not.toContain("f5.yaml");
  });
});
