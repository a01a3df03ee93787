import { cp, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { explainCommand } from "../cli/policy-commands.js";
import { loadJurisdictionData, type JurisdictionData } from "../consent/index.js";
import { directorySourceOf, type TeamDirectory } from "../directory/index.js";
import { decideConsent, directoryLocationsFor } from "./consent.js";
import { decide } from "./evaluate.js";
import { parsePolicyFile } from "./load.js";
import type { CallFacts } from "./types.js";

/** directoryLocationsFor (src/policy/consent.ts) over a directory source, as the worker calls it. */
const directoryLocationLookup = async (
  source: ReturnType<typeof directorySourceOf> | undefined,
  policies: Parameters<typeof directoryLocationsFor>[0],
  decision: Parameters<typeof directoryLocationsFor>[1],
  call: CallFacts,
) =>
  source
    ? directoryLocationsFor(policies, decision, call, (teamId, rawId) => source.lookup(teamId, rawId))
    : () => undefined;

// The team directories' `location` at the edge of the consent decision (docs/consent.md "Where a party is"): looked up
// before deciding, then handed to the pure decision as its lookup.

const AGENT = "8:acs:desk-agent";
const CUSTOMER = "8:acs:customer-1";
const OTHER = "8:acs:customer-2";
const ASK = `{ require: consent, prompt: { text: "Press 1 to agree.", locale: en-US }, onRefusal: record-nothing }`;
const policyText = (id: string, defaultLocation: string) => `version: 1
team: { id: ${id}, name: ${id}, defaultLocation: ${defaultLocation} }
members: ["${AGENT}"]
rules:
  - id: r
    mode: best-effort
    consent:
      all-party-consent: ${ASK}
      unknown: ${ASK}
      eu: { require: notice, announcement: { text: "Recorded.", locale: en-GB } }
      "*": { require: none }
`;
const desk = parsePolicyFile("desk.yaml", policyText("desk", "GB"));
const dir = (team: string, entries: [string, string | undefined][]): TeamDirectory => ({
  team,
  file: `${team}.directory.yaml`,
  entries: entries.map(([id, location]) => ({
    id,
    displayName: id,
    role: "customer",
    ...(location ? { location } : {}),
  })),
});

let data: JurisdictionData;
beforeAll(async () => {
  data = await loadJurisdictionData("policies");
});

const facts = (...others: string[]): CallFacts => ({
  participants: [AGENT, ...others],
  caller: AGENT,
  callee: others[0] ?? "",
  at: "2026-11-23T09:00:00Z",
});

describe("directory locations in the consent decision", () => {
  const cases: {
    name: string;
    directories: TeamDirectory[];
    call: CallFacts;
    requirement: string;
    decidedBy?: { party: string; jurisdiction: string; source: string };
  }[] = [
    {
      name: "an ACS customer listed in US-CA is decided as US-CA: consent",
      directories: [dir("desk", [[CUSTOMER, "US-CA"]])],
      call: facts(CUSTOMER),
      requirement: "consent",
      decidedBy: { party: CUSTOMER, jurisdiction: "US-CA", source: "directory" },
    },
    {
      name: "the same customer not listed: unknown (a customer is never placed by the team's default)",
      directories: [dir("desk", [])],
      call: facts(CUSTOMER),
      requirement: "consent",
      decidedBy: { party: CUSTOMER, jurisdiction: "unknown", source: "none" },
    },
    {
      name: "listed in FR: notice only (the directory places them in the EU)",
      directories: [dir("desk", [[CUSTOMER, "FR"]])],
      call: facts(CUSTOMER),
      requirement: "notice",
      decidedBy: { party: CUSTOMER, jurisdiction: "FR", source: "directory" },
    },
    {
      name: "listed in US-TX (one-party): nothing; the member listed too: GB by the directory",
      directories: [
        dir("desk", [
          [CUSTOMER, "US-TX"],
          [AGENT, "GB"],
        ]),
      ],
      call: facts(CUSTOMER),
      requirement: "none",
    },
    {
      name: "a member listed in an all-party state makes the call need consent",
      directories: [
        dir("desk", [
          [CUSTOMER, "US-TX"],
          [AGENT, "us-fl"],
        ]),
      ],
      call: facts(CUSTOMER),
      requirement: "consent",
      decidedBy: { party: AGENT, jurisdiction: "US-FL", source: "directory" },
    },
    {
      name: "an entry without a location places nobody",
      directories: [
        dir("desk", [
          [CUSTOMER, undefined],
          [OTHER, "DE"],
        ]),
      ],
      call: facts(CUSTOMER, OTHER),
      requirement: "consent",
      decidedBy: { party: CUSTOMER, jurisdiction: "unknown", source: "none" },
    },
    {
      name: "another team's directory (not recording the call) is not read",
      directories: [dir("elsewhere", [[CUSTOMER, "US-CA"]])],
      call: facts(CUSTOMER),
      requirement: "consent",
      decidedBy: { party: CUSTOMER, jurisdiction: "unknown", source: "none" },
    },
  ];
  it.each(cases)("$name", async ({ directories, call, requirement, decidedBy }) => {
    const decision = decide([desk], call);
    const directoryLocation = await directoryLocationLookup(directorySourceOf(directories), [desk], decision, call);
    const consent = decideConsent([desk], decision, call, {
      sets: data.sets,
      areaCodes: data.areaCodes,
      directoryLocation,
    });
    expect(consent?.requirement).toBe(requirement);
    if (decidedBy) expect(consent?.decidedBy).toMatchObject(decidedBy);
  });

  it("reads the recording teams' directories, the deciding team's first", async () => {
    const second = parsePolicyFile("second.yaml", policyText("second", "GB"));
    const call = facts(CUSTOMER, OTHER);
    const decision = decide([desk, second], call);
    const lookup = await directoryLocationLookup(
      directorySourceOf([
        dir("second", [
          [CUSTOMER, "US-CA"],
          [OTHER, "FR"],
        ]),
        dir("desk", [[CUSTOMER, "FR"]]),
      ]),
      [desk, second],
      decision,
      call,
    );
    expect([lookup(CUSTOMER), lookup(OTHER), lookup(AGENT)]).toEqual(["FR", "FR", undefined]);
  });

  it("without a directory, or for a call not recorded, nobody is placed by one", async () => {
    const call = facts(CUSTOMER);
    expect((await directoryLocationLookup(undefined, [desk], decide([desk], call), call))(CUSTOMER)).toBeUndefined();
    const never = parsePolicyFile(
      "never.yaml",
      `version: 1\nteam: { id: desk, name: desk }\nmembers: ["${AGENT}"]\nrules:\n  - id: n\n    mode: never\n`,
    );
    const lookup = await directoryLocationLookup(
      directorySourceOf([dir("desk", [[CUSTOMER, "US-CA"]])]),
      [never],
      decide([never], call),
      call,
    );
    expect(lookup(CUSTOMER)).toBeUndefined();
  });
});

describe("recorder policy explain reads the directories", () => {
  let policyDir: string;
  beforeAll(async () => {
    policyDir = await mkdtemp(join(tmpdir(), "consent-directory-"));
    await writeFile(join(policyDir, "desk.yaml"), policyText("desk", "GB"));
    await writeFile(
      join(policyDir, "desk.directory.yaml"),
      `version: 1\nteam: desk\npeople:\n  - { id: "${CUSTOMER}", displayName: Cal Customer, role: customer, location: US-CA }\n`,
    );
    for (const file of ["jurisdictions.sets.yaml", "jurisdictions.nanp-area-codes.yaml"])
      await cp(join("policies", file), join(policyDir, file));
  });
  afterAll(async () => {
    if (policyDir) await rm(policyDir, { recursive: true, force: true });
  });
  const explain = async (located: string[] = []) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await explainCommand(
      { dir: policyDir, from: AGENT, to: CUSTOMER, with: [], at: "2026-11-23T09:00:00Z", located },
      { out: (l) => out.push(l), err: (l) => err.push(l) },
    );
    return { code, out: out.join("\n"), err: err.join("\n") };
  };

  it("places a listed ACS customer by the directory's location", async () => {
    const run = await explain();
    expect(run.code).toBe(0);
    expect(run.out).toContain(`Decided by ${CUSTOMER} in US-CA (set all-party-consent, placed by directory)`);
  });

  it("--located comes before the directory (what-if)", async () => {
    const run = await explain([`${CUSTOMER}=FR`]);
    expect(run.out).toContain("Requirement: notice");
    expect(run.out).not.toContain("US-CA");
  });
});
