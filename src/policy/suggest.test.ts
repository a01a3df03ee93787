import { z } from "zod";
import { describe, expect, it } from "vitest";
import { editDistance, fieldNames, nearest } from "./suggest.js";

describe("editDistance", () => {
  it.each([
    ["mode", "mode", 0],
    ["mdoe", "mode", 1],
    ["chanel", "channel", 1],
    ["internl", "internal", 1],
    ["colour", "color", 1],
    ["", "abc", 3],
    ["kitten", "sitting", 3],
  ])("%s → %s: %i", (a, b, distance) => {
    expect(editDistance(a, b)).toBe(distance);
  });
});

describe("nearest", () => {
  const fields = ["mode", "match", "members", "channel", "content", "format"];
  it.each([
    ["mdoe", "mode"],
    ["chanel", "channel"],
    ["Format", "format"],
    ["colour", undefined], // nothing near enough: no guess rather than a wild one
    ["mx", undefined],
    ["mode", undefined], // the word itself is not a suggestion
  ])("%s → %s", (word, guess) => {
    expect(nearest(word, fields)).toBe(guess);
  });
});

describe("fieldNames", () => {
  it("collects object fields at every depth, through arrays, unions, optionals and pipes", () => {
    const schema = z.object({
      team: z.object({ id: z.string() }),
      rules: z.array(z.union([z.object({ mode: z.string() }), z.object({ reason: z.string().optional() })])),
      later: z
        .object({ days: z.number() })
        .optional()
        .transform((v) => v),
    });
    expect([...fieldNames(schema)].sort()).toEqual(["days", "id", "later", "mode", "reason", "rules", "team"]);
  });
});
