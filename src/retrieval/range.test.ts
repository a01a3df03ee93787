import { describe, expect, it } from "vitest";
import { parseRange } from "./range.js";

describe("parseRange", () => {
  it.each([
    [undefined, 100, { kind: "whole" }],
    ["", 100, { kind: "whole" }],
    ["bytes=0-9", 100, { kind: "partial", start: 0, end: 9 }],
    ["bytes=10-", 100, { kind: "partial", start: 10, end: 99 }],
    ["bytes=90-200", 100, { kind: "partial", start: 90, end: 99 }],
    ["bytes=-10", 100, { kind: "partial", start: 90, end: 99 }],
    ["bytes=-500", 100, { kind: "partial", start: 0, end: 99 }],
    ["bytes=0-0", 100, { kind: "partial", start: 0, end: 0 }],
    ["bytes=0-9, 20-29", 100, { kind: "partial", start: 0, end: 9 }], // only the first range is served
    ["bytes=100-", 100, { kind: "unsatisfiable" }],
    ["bytes=150-160", 100, { kind: "unsatisfiable" }],
    ["bytes=-0", 100, { kind: "unsatisfiable" }],
    ["bytes=0-", 0, { kind: "unsatisfiable" }],
    ["bytes=9-5", 100, { kind: "whole" }], // invalid: ignored, as RFC 9110 allows
    ["bytes=-", 100, { kind: "whole" }],
    ["items=0-9", 100, { kind: "whole" }],
    ["bytes=a-b", 100, { kind: "whole" }],
  ])("%s of %i bytes → %o", (header, size, expected) => {
    expect(parseRange(header, size)).toEqual(expected);
  });
});
