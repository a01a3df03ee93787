import { describe, expect, it } from "vitest";
import { documentMismatch } from "./ingest.js";

describe("a blob already archived under the name counts only if it holds the very document", () => {
  it.each([
    ["the same document", "d1", { documentid: "d1", sha256: "x" }, undefined],
    ["another document", "d1", { documentid: "d2", sha256: "x" }, "holds document d2, not d1"],
    ["no documentid at all", "d1", { sha256: "x" }, "holds no documentid, expected d1"],
    ["no metadata", "d1", undefined, "holds no documentid, expected d1"],
    ["no document expected (a copy of our own blob)", undefined, { sha256: "x" }, undefined],
  ])("%s", (_name, expected, found, mismatch) => {
    expect(documentMismatch(expected, found)).toBe(mismatch);
  });
});
