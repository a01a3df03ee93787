import { describe, expect, it } from "vitest";
import { isInstant, localTimeOf, windowContains } from "./time.js";
import type { TimeWindow } from "./types.js";

const weekdays: TimeWindow["days"] = ["mon", "tue", "wed", "thu", "fri"];

describe("time windows", () => {
  it.each([
    // [window, instant, zone, inside]
    [{ days: weekdays, from: "09:00", to: "17:00" }, "2026-11-23T09:00:00Z", "Europe/London", true], // from is inclusive
    [{ days: weekdays, from: "09:00", to: "17:00" }, "2026-11-23T17:00:00Z", "Europe/London", false], // to is exclusive
    [{ days: weekdays, from: "09:00", to: "17:00" }, "2026-07-06T08:30:00Z", "Europe/London", true], // 09:30 BST
    [{ days: weekdays, from: "09:00", to: "17:00" }, "2026-11-28T12:00:00Z", "Europe/London", false], // Saturday
    [{ days: ["mon"], from: "22:00", to: "06:00" }, "2026-11-24T05:59:00Z", "Europe/London", true], // Tuesday morning, Monday's window
    [{ days: ["mon"], from: "22:00", to: "06:00" }, "2026-11-23T05:59:00Z", "Europe/London", false], // Monday morning belongs to Sunday
    [{ days: ["sun"], from: "22:00", to: "06:00" }, "2026-11-23T05:00:00Z", "Europe/London", true], // wraps the week
    [{ days: weekdays, from: "00:00", to: "24:00" }, "2026-11-27T23:59:00Z", "Europe/London", true],
    [{ days: ["fri"], from: "09:00", to: "10:00" }, "2026-11-27T00:30:00Z", "Asia/Tokyo", true], // Friday 09:30 in Tokyo, Friday 00:30 UTC
    [{ days: ["thu"], from: "23:00", to: "24:00" }, "2026-11-26T23:30:00Z", "Asia/Tokyo", false], // Thursday 23:30 UTC is Friday in Tokyo
    [{ days: ["sun"], from: "01:00", to: "03:00" }, "2026-03-29T01:30:00Z", "Europe/London", true], // 02:30 BST, the hour after the jump
  ] as const)("%o at %s in %s → %s", (window, instant, zone, inside) => {
    expect(windowContains({ ...window, days: [...window.days] }, localTimeOf(new Date(instant), zone))).toBe(inside);
  });

  it("describes the local time", () => {
    expect(localTimeOf(new Date("2026-11-28T04:30:00Z"), "America/New_York").text).toBe("Fri 23:30 America/New_York");
  });

  it.each([
    ["2026-11-23T09:00:00Z", true],
    ["2026-11-23T09:00Z", true],
    ["2026-11-23T10:00:00.123+01:00", true],
    ["2026-11-23T09:00:00", false],
    ["2026-11-23", false],
    ["2026-13-23T09:00:00Z", false],
  ])("isInstant(%s) = %s", (value, expected) => expect(isInstant(value)).toBe(expected));
});
