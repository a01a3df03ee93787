import { describe, expect, it } from "vitest";
import { describeDifferences, diffShapes, shapeOf } from "./shape.js";

describe("shapeOf", () => {
  it("keeps field names and JSON types, not values; drops undefined fields", () => {
    expect(shapeOf({ a: 1, b: "x", c: null, d: true, e: undefined })).toEqual({
      kind: "object",
      fields: { a: { kind: "number" }, b: { kind: "string" }, c: { kind: "null" }, d: { kind: "boolean" } },
    });
  });

  it("merges the elements of an array; an empty array has no element shape", () => {
    expect(shapeOf([{ a: 1 }, { b: "x" }])).toEqual({
      kind: "array",
      element: { kind: "object", fields: { a: { kind: "number" }, b: { kind: "string" } } },
    });
    expect(shapeOf([])).toEqual({ kind: "array", element: undefined });
  });

  it("refuses what is not JSON", () => {
    expect(() => shapeOf(() => 1)).toThrow("not a JSON value");
  });
});

describe("diffShapes", () => {
  const recorded = {
    callConnectionId: "c",
    targets: [{ rawId: "r", kind: "communicationUser", communicationUser: { id: "r" } }],
    mediaStreamingSubscription: { id: "m", state: "disabled", subscribedContentTypes: ["audio"] },
    transcription: { subscribedResultTypes: [] },
  };

  it.each([
    ["identical shapes, other values", { ...recorded, callConnectionId: "other" }, []],
    [
      "a missing nested field",
      { ...recorded, mediaStreamingSubscription: { state: "disabled", subscribedContentTypes: ["audio"] } },
      ["missing: mediaStreamingSubscription.id"],
    ],
    ["an extra top-level field", { ...recorded, answeredBy: { id: "x" } }, ["extra: answeredBy"]],
    [
      "a field of an array's elements",
      { ...recorded, targets: [{ rawId: "r", kind: "communicationUser" }] },
      ["missing: targets[].communicationUser"],
    ],
    ["a type change", { ...recorded, callConnectionId: 7 }, ["type: callConnectionId (string → number)"]],
    [
      "both a missing and an extra field",
      { ...recorded, callConnectionId: undefined, callConnectionID: "c" },
      ["missing: callConnectionId", "extra: callConnectionID"],
    ],
    ["an empty array against a filled one (nothing known of its elements)", { ...recorded, targets: [] }, []],
    [
      "elements inside an array that was empty in the recording",
      { ...recorded, transcription: { subscribedResultTypes: ["final"] } },
      [],
    ],
  ])("%s", (_what, actual, expected) => {
    expect(describeDifferences(diffShapes(recorded, actual))).toEqual(expected);
  });

  it("compares a top-level type and null", () => {
    expect(describeDifferences(diffShapes({ a: 1 }, null))).toEqual(["type: (root) (object → null)"]);
    expect(describeDifferences(diffShapes({ a: null }, { a: null }))).toEqual([]);
  });
});
