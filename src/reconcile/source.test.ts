import { describe, expect, it } from "vitest";
import { containerOf, hourFolder, hoursOf } from "./source.js";

describe("the storage archive's layout", () => {
  it("names a category's container in lower case", () => {
    expect(containerOf("CallRecordingSummary")).toBe("insights-logs-callrecordingsummary");
  });

  it("names an hour's folder in UTC with two-digit fields and m=00", () => {
    expect(hourFolder(new Date("2026-03-05T07:59:59.999Z"))).toBe("y=2026/m=03/d=05/h=07/m=00/");
  });

  it("lists every hour a window touches, the first one partly", () => {
    const hours = hoursOf({ from: new Date("2026-12-31T22:30:00Z"), to: new Date("2027-01-01T01:00:00Z") });
    expect(hours.map(hourFolder)).toEqual([
      "y=2026/m=12/d=31/h=22/m=00/",
      "y=2026/m=12/d=31/h=23/m=00/",
      "y=2027/m=01/d=01/h=00/m=00/",
    ]);
  });
});
