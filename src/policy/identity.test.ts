import { describe, expect, it } from "vitest";
import {
  entriesOverlap,
  kindOf,
  memberEntryMatches,
  numberOf,
  participantFromInput,
  rawIdFromInput,
} from "./identity.js";

describe("identities", () => {
  it.each([
    ["8:acs:r_1", "acs"],
    ["8:gcch-acs:r_1", "acs"],
    ["8:orgid:0000", "teams"],
    ["8:teamsvisitor:0000", "teams"],
    ["4:+442071234567", "pstn"],
    ["4:anonymous", "pstn"],
    ["28:orgid:bot", "other"],
    ["whatever", "other"],
  ])("kindOf(%s) = %s", (rawId, kind) => expect(kindOf(rawId)).toBe(kind));

  it.each([
    ["+442071234567", "4:+442071234567", true],
    ["+442071234567", "4:+442071234568", false],
    ["+4420*", "4:+442071234567", true],
    ["+4420*", "4:+441611234567", false],
    ["+4420*", "8:acs:+4420", false],
    ["8:acs:r_1", "8:acs:r_1", true],
    ["8:acs:r_1", "8:acs:r_10", false],
  ])("member entry %s matches %s: %s", (entry, rawId, expected) =>
    expect(memberEntryMatches(entry, rawId)).toBe(expected),
  );

  it.each([
    ["+44*", "+4420*", true],
    ["+4420*", "+442071234567", true],
    ["+4416*", "+442071234567", false],
    ["+442071234567", "+442071234567", true],
    ["8:acs:a", "8:acs:b", false],
  ])("entries %s and %s overlap: %s", (a, b, expected) => {
    expect(entriesOverlap(a, b)).toBe(expected);
    expect(entriesOverlap(b, a)).toBe(expected);
  });

  it("reads numbers and command-line input", () => {
    expect(numberOf("4:+15551234567")).toBe("+15551234567");
    expect(numberOf("4:anonymous")).toBeUndefined();
    expect(rawIdFromInput("+15551234567")).toBe("4:+15551234567");
    expect(rawIdFromInput("8:acs:r_1")).toBe("8:acs:r_1");
  });
});

describe("participantFromInput", () => {
  it.each([
    ["+15551234567", "4:+15551234567"],
    ["4:+442071234567", "4:+442071234567"],
    [
      "8:acs:5e1f7a2c-0d3b-4c8e-9a61-2f4b8c7d9e10_00000001-alice",
      "8:acs:5e1f7a2c-0d3b-4c8e-9a61-2f4b8c7d9e10_00000001-alice",
    ],
    ["8:orgid:2dd4e4d9-b1bd-4c3b-8a6e-2fb5e1c0e7a1", "8:orgid:2dd4e4d9-b1bd-4c3b-8a6e-2fb5e1c0e7a1"],
    ["28:acs:bot-1", "28:acs:bot-1"],
  ])("%s is the participant %s", (input, rawId) => {
    expect(participantFromInput(input)).toEqual({ rawId });
  });
  it.each(["alice", "", "8:acs:", "4:anonymous", "+44", "12345"])("%j is refused with the forms to use", (input) => {
    const parsed = participantFromInput(input);
    expect(parsed).toHaveProperty("problem");
    expect("problem" in parsed && parsed.problem).toContain("give a raw id (8:acs:…");
  });
});
