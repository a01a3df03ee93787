import { describe, expect, it } from "vitest";
import { FakeRetention } from "./retention.js";

const NOW = new Date("2026-11-22T00:00:00Z");
const day = (n: number) => new Date(NOW.getTime() + n * 86_400_000);

describe("the fake retention port (Azure's version-level WORM semantics)", () => {
  it.each([
    ["no protection", [], undefined, undefined],
    [
      "retain-until in the future",
      [{ until: day(30), legalHold: false }],
      "BlobImmutableDueToPolicy",
      "BlobImmutableDueToPolicy",
    ],
    [
      "retain-until passed: deletable, still not overwritable",
      [{ until: day(-1), legalHold: false }],
      undefined,
      "BlobImmutableDueToPolicy",
    ],
    [
      "legal hold alone",
      [{ until: undefined, legalHold: true }],
      "BlobImmutableDueToLegalHold",
      "BlobImmutableDueToLegalHold",
    ],
    ["both", [{ until: day(30), legalHold: true }], "BlobImmutableDueToLegalHold", "BlobImmutableDueToLegalHold"],
    [
      "a shorter retain-until does not shorten it",
      [
        { until: day(30), legalHold: false },
        { until: day(-5), legalHold: false },
      ],
      "BlobImmutableDueToPolicy",
      "BlobImmutableDueToPolicy",
    ],
    [
      "a later protect without hold does not clear the hold",
      [
        { until: undefined, legalHold: true },
        { until: undefined, legalHold: false },
      ],
      "BlobImmutableDueToLegalHold",
      "BlobImmutableDueToLegalHold",
    ],
  ] as const)("%s", async (_what, protections, deleteError, writeError) => {
    const fake = new FakeRetention(() => NOW);
    for (const p of protections) await fake.protect("b", { ...p });
    const outcome = (f: () => void) => {
      try {
        f();
        return undefined;
      } catch (error) {
        expect(error).toMatchObject({ statusCode: 409 });
        return (error as { code: string }).code;
      }
    };
    expect(outcome(() => fake.assertDeletable("b"))).toBe(deleteError);
    expect(outcome(() => fake.assertWritable("b"))).toBe(writeError);
  });

  it("allows a delete once the hold is cleared and the retention has passed", async () => {
    const fake = new FakeRetention(() => NOW);
    await fake.protect("b", { until: day(-1), legalHold: true });
    expect(() => fake.assertDeletable("b")).toThrow(/LegalHold/);
    fake.clearLegalHold("b");
    expect(() => fake.assertDeletable("b")).not.toThrow();
  });
});
