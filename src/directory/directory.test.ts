import { describe, expect, it } from "vitest";
import { normalisePhone, identityKind, identityKey } from "./identity.js";
import { DirectoryError, parseDirectoryFile } from "./load.js";
import { lintDirectories } from "./lint.js";
import { lookupEntry, nameMatches, named, participantsMatch, searchDirectory } from "./match.js";
import { directorySourceOf } from "./source.js";
import type { TeamDirectory } from "./types.js";

const ALICE = "8:acs:r_00000001-alice";
const BOB = "8:acs:r_00000002-bob";
const GRACE = "8:orgid:6c0f3a52-8d1e-4b7a-9f2c-1e3d5a7b9c01";

const desk: TeamDirectory = {
  team: "desk",
  file: "desk.directory.yaml",
  country: "GB",
  entries: [
    {
      id: ALICE,
      displayName: "Alice Smith",
      role: "agent",
      email: "alice.smith@example.com",
      employeeId: "TD-1001",
      location: "GB-ENG",
    },
    { id: BOB, displayName: "Bob Okafor", role: "supervisor" },
    { id: GRACE, displayName: "Zoë Grace Park", role: "counsel", location: "US-NY" },
    { id: "+442071234567", displayName: "Desk line 1", role: "line" },
    { id: "+44800123400*", displayName: "Support hotline", role: "line" },
    { id: "+448001234005", displayName: "Hotline, the night shift's number", role: "line" },
  ],
};

describe("identities", () => {
  it.each([
    [ALICE, "acs"],
    ["8:gcch-acs:x", "acs"],
    [GRACE, "teams"],
    ["+442071234567", "phone"],
    ["+44800*", "phone-range"],
    ["4:+442071234567", undefined],
    ["alice", undefined],
    ["+44 20 7123 4567", undefined],
    ["+0123456789", undefined],
    ["28:bot", undefined],
  ])("%s is %s", (id, kind) => expect(identityKind(id)).toBe(kind));

  it("keys a call's 4:+ number like the policy's +number", () => {
    expect(identityKey("4:+442071234567")).toBe("+442071234567");
    expect(identityKey(ALICE)).toBe(ALICE);
  });
});

describe("phone numbers as people type them", () => {
  it.each([
    ["+44 20 7123 4567", [], "+442071234567"],
    ["+44 (0)20 7123 4567", [], "+442071234567"],
    ["0044 20 7123 4567", [], "+442071234567"],
    ["020 7123 4567", ["GB"], "+442071234567"],
    ["020-7123-4567", ["GB"], "+442071234567"],
    ["020 7123 4567", [], undefined],
    ["(415) 555-0100", ["US"], "+14155550100"],
    ["(415) 555-0100", ["GB", "US"], "+14155550100"],
    ["415.555.0100", ["US"], "+14155550100"],
    ["0800 123 4005", ["GB"], "+448001234005"],
    // Ofcom's drama range: not "valid" (never assigned), still a possible number, found as one.
    ["07700 900123", ["GB"], "+447700900123"],
    ["07700 900123", ["US", "GB"], "+447700900123"],
    ["+44 (0)7700 900123", [], "+447700900123"],
    ["(415) 555-0100", ["GB", "US"], "+14155550100"],
    ["alice", ["GB"], undefined],
    ["12", ["GB"], undefined],
    ["TD-1001", ["GB"], undefined],
  ])("%s in %j → %s", (text, countries, e164) => expect(normalisePhone(text, countries)).toBe(e164));
});

describe("names", () => {
  it.each([
    ["Alice Smith", "alice", true],
    ["Alice Smith", "Alice Smith", true],
    ["Alice Smith", "smith alice", true],
    ["Alice Smith", "ali smi", true],
    ["Alice Smith", "  ALICE  ", true],
    ["Alice Smith", "lice", false],
    ["Alice Smith", "alice jones", false],
    ["Alice Smith", "", false],
    ["Anna Anderson", "an an", true],
    ["Anna Smith", "an an", false],
    ["Zoë Grace Park", "zoe", true],
    ["Frank Lefèvre", "LEFEVRE", true],
    ["Erin O'Neill", "o'neill", true],
  ])("%s ← %j: %s", (name, text, expected) => expect(nameMatches(name, text)).toBe(expected));
});

describe("search in one team's directory", () => {
  it.each([
    ["alice", [ALICE], []],
    ["Alice Smith", [ALICE], []],
    ["alice.smith@example.com", [ALICE], []],
    ["td-1001", [ALICE], []],
    ["zoe", [GRACE], []],
    ["hotline", ["+448001234005"], ["+44800123400*"]],
    ["+44 20 7123 4567", ["+442071234567"], []],
    ["020 7123 4567", ["+442071234567"], []],
    // Not in the directory: a customer's number is still found on the calls that carry it.
    ["(415) 555-0100", ["+14155550100"], []],
    ["4:+442071234567", ["+442071234567"], []],
    [BOB, [BOB], []],
    ["nobody", [], []],
  ])("%j → %j %j", (text, identities, ranges) => expect(searchDirectory(desk, text)).toEqual({ identities, ranges }));

  it("needs the team's country for a national number", () => {
    expect(searchDirectory({ ...desk, country: undefined, entries: [] } as TeamDirectory, "020 7123 4567")).toEqual({
      identities: [],
      ranges: [],
    });
  });

  it("matches a recording's participants by identity or number range", () => {
    const hotline = searchDirectory(desk, "support hotline");
    expect(participantsMatch([ALICE, "4:+448001234003"], hotline)).toBe(true);
    expect(participantsMatch([ALICE, "4:+448001234010"], hotline)).toBe(false);
    expect(participantsMatch(["4:+442071234567"], searchDirectory(desk, "020 7123 4567"))).toBe(true);
    expect(participantsMatch([BOB], searchDirectory(desk, "alice"))).toBe(false);
  });
});

describe("lookup", () => {
  it.each([
    [ALICE, "Alice Smith"],
    ["4:+442071234567", "Desk line 1"],
    ["4:+448001234003", "Support hotline"],
    ["4:+448001234005", "Hotline, the night shift's number"],
    ["4:+448001234010", undefined],
    ["8:acs:r_unknown", undefined],
  ])("%s → %s", (id, name) => expect(lookupEntry(desk, id)?.displayName).toBe(name));

  it("names an identity, or says the directory has no name for it", () => {
    expect(named(ALICE, lookupEntry(desk, ALICE))).toEqual({
      id: ALICE,
      displayName: "Alice Smith",
      role: "agent",
      location: "GB-ENG",
    });
    expect(named("8:acs:r_x", undefined)).toEqual({ id: "8:acs:r_x", displayName: null, role: null, location: null });
  });

  it("never looks in another team's directory", async () => {
    const source = directorySourceOf([desk, { team: "legal", file: "legal.directory.yaml", entries: [] }]);
    expect((await source.lookup("desk", ALICE))?.displayName).toBe("Alice Smith");
    expect(await source.lookup("legal", ALICE)).toBeUndefined();
    expect(await source.search("legal", "alice")).toEqual({ identities: [], ranges: [] });
    expect(await source.search("nobody", "alice")).toEqual({ identities: [], ranges: [] });
  });
});

describe("directory files", () => {
  const file = `version: 1
team: desk
country: GB
people:
  - id: "${ALICE}"
    displayName: Alice Smith
    role: agent
    location: US-CA
`;
  it("parses a valid file", () => {
    const parsed = parseDirectoryFile("desk.directory.yaml", file);
    expect(parsed.entries).toEqual([{ id: ALICE, displayName: "Alice Smith", role: "agent", location: "US-CA" }]);
    expect(parsed.country).toBe("GB");
    expect(parsed.positions).toEqual(["desk.directory.yaml:5:5"]);
  });

  const problemsOf = (text: string, name = "desk.directory.yaml") => {
    try {
      parseDirectoryFile(name, text);
      return [];
    } catch (error) {
      if (error instanceof DirectoryError) return error.problems;
      throw error;
    }
  };
  it.each([
    ["an unknown identity format", file.replace(ALICE, "alice@example.com"), /people\.0\.id: not an identity/],
    ["a national number", file.replace(ALICE, "020 7123 4567"), /people\.0\.id: not an identity/],
    ["an unknown country", file.replace("US-CA", "QQ"), /people\.0\.location: not an ISO 3166-1 country code/],
    ["a location in lower case", file.replace("US-CA", "us-ca"), /people\.0\.location: an ISO 3166-1 alpha-2/],
    ["a misspelt field", file.replace("displayName", "displayname"), /people\.0\.displayname: unknown field/],
    ["a missing role", file.replace("    role: agent\n", ""), /people\.0\.role/],
    ["a bad e-mail", file.replace("    role: agent\n", "    role: agent\n    email: alice\n"), /people\.0\.email/],
    ["a team country that is none", file.replace("country: GB", "country: UK"), /country: an ISO 3166-1/],
    ["a user-assigned country", file.replace("US-CA", "XA"), /people\.0\.location: not an ISO 3166-1 country code/],
    [
      "a duplicate",
      `${file}  - { id: "${ALICE}", displayName: A, role: agent }\n`,
      /people\.1\.id: \S+ is already listed \(desk\.directory\.yaml:5:5\)/,
    ],
    [
      "another team's name",
      file.replace("team: desk", "team: legal"),
      /team: legal, but the file is named for team desk/,
    ],
  ])("refuses %s", (_, text, problem) => {
    expect(problemsOf(text).join("\n")).toMatch(problem);
  });
});

describe("lint against the policies' members", () => {
  it("warns of members without an entry and of a directory for no team", () => {
    const warnings = lintDirectories(
      [desk, { team: "gone", file: "gone.directory.yaml", entries: [] }],
      [
        {
          team: "desk",
          file: "desk.yaml",
          members: [ALICE, "8:acs:r_new", "+442071234567", "+44800123400*", "+44800999*", "+442071234568"],
          positions: [
            "desk.yaml:5:5",
            "desk.yaml:6:5",
            "desk.yaml:7:5",
            "desk.yaml:8:5",
            "desk.yaml:9:5",
            "desk.yaml:10:5",
          ],
        },
      ],
    );
    expect(warnings.map((w) => `${w.where}: ${w.message.replace(/: (reviewers|its names).*$/, "")}`)).toEqual([
      "gone.directory.yaml: directory for team gone, which no policy file defines",
      "desk.yaml:6:5: member 8:acs:r_new of team desk has no entry in desk.directory.yaml",
      "desk.yaml:9:5: member +44800999* of team desk has no entry in desk.directory.yaml",
      "desk.yaml:10:5: member +442071234568 of team desk has no entry in desk.directory.yaml",
    ]);
  });
});
