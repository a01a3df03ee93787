import { execFile } from "node:child_process";
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// The CLI as policy owners and their CI run it: the real binary (a process per command), real files, exit codes.

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function recorder(...args: string[]): Promise<Run> {
  const env = { ...process.env };
  delete env.POLICY_DIR;
  return new Promise((resolve) => {
    execFile("node", ["bin/recorder.mjs", ...args], { env }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

const RESOURCE = "8:acs:5e1f7a2c-0d3b-4c8e-9a61-2f4b8c7d9e10";
const ALICE = `${RESOURCE}_00000001-alice`;
const BOB = `${RESOURCE}_00000002-bob`;
const CAROL = `${RESOURCE}_00000010-carol`;

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "recorder-cli-"));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

async function policyDir(name: string, files: Record<string, string>): Promise<string> {
  const dir = join(work, name);
  await cp("policies", dir, { recursive: true });
  for (const [file, text] of Object.entries(files)) await writeFile(join(dir, file), text);
  return dir;
}

describe("recorder policy lint", () => {
  it("passes the shipped policies", async () => {
    const run = await recorder("policy", "lint", "policies");
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("ok       trading-desk.yaml  team trading-desk");
    expect(run.stdout).toContain("ok       trading-desk.directory.yaml  directory of trading-desk  6 entries");
    expect(run.stdout).toContain("6 files: 0 errors, 0 warnings");
  });

  it("fails with file:line:column on an error, and still prints warnings", async () => {
    const dir = await policyDir("broken", {
      "trading-desk.yaml": (await readFile("policies/trading-desk.yaml", "utf8")).replace("format: wav", "format: mp3"),
      "shadowing.yaml": `version: 1
team: { id: shadowing, name: Shadowing }
members: ["${CAROL}"]
rules:
  - { id: all, mode: best-effort }
  - { id: pstn, match: { counterpart: pstn }, mode: never }
`,
    });
    const run = await recorder("policy", "lint", dir);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /^error {4}trading-desk\.yaml:\d+:\d+: rules\.0\.recording\.format: unmixed recordings must use format wav$/m,
    );
    expect(run.stderr).toContain(
      `warning  shadowing.yaml:3:11: member ${CAROL} is also in team customer-support (customer-support.yaml:15:5)`,
    );
    expect(run.stderr).toContain(
      "warning  shadowing.yaml:6:5: rule pstn is unreachable: rule all above matches all its calls first",
    );
    // Carol has an entry in customer-support's directory, not in shadowing's (which has none).
    expect(run.stderr).toContain(
      `warning  shadowing.yaml:3:11: member ${CAROL} of team shadowing has no entry in shadowing.directory.yaml`,
    );
    expect(run.stdout).toContain("7 files: 1 error, 3 warnings");
  });

  it("exits 0 with warnings only; 1 for a directory without policies", async () => {
    const dir = await policyDir("warnings", {
      "extra.yaml": `version: 1\nteam: { id: extra, name: Extra }\nmembers: ["${ALICE}"]\nrules: [{ id: all, mode: never }]\n`,
    });
    expect((await recorder("policy", "lint", dir)).code).toBe(0);
    const empty = join(work, "empty");
    await cp("docs/examples", empty, { recursive: true });
    const run = await recorder("policy", "lint", empty);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("no policy files (*.yaml)");
  });
});

describe("recorder policy lint: the teams' directories", () => {
  it("refuses unknown identity formats, duplicates, bad locations and a file named for another team", async () => {
    const dir = await policyDir("bad-directory", {
      "legal.directory.yaml": `version: 1
team: legal
people:
  - { id: "alice", displayName: Alice, role: agent }
  - { id: "+442071234567", displayName: Line, role: line, location: GB-ENG }
  - { id: "+442071234567", displayName: Line again, role: line }
  - { id: "${ALICE}", displayName: Alice, role: agent, location: XX }
`,
      "trading-desk.directory.yaml": "version: 1\nteam: legal\npeople: []\n",
    });
    const run = await recorder("policy", "lint", dir);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^error {4}legal\.directory\.yaml:4:\d+: people\.0\.id: not an identity/m);
    expect(run.stderr).toMatch(
      /^error {4}legal\.directory\.yaml:6:\d+: people\.2\.id: \+442071234567 is already listed \(legal\.directory\.yaml:5:\d+\)$/m,
    );
    expect(run.stderr).toMatch(
      /^error {4}legal\.directory\.yaml:7:\d+: people\.3\.location: not an ISO 3166-1 country code$/m,
    );
    expect(run.stderr).toContain("team: legal, but the file is named for team trading-desk");
  });

  it("warns of members without an entry, and of a directory for no team", async () => {
    const dir = await policyDir("unnamed", {
      "trading-desk.directory.yaml": `version: 1
team: trading-desk
people:
  - { id: "${ALICE}", displayName: Alice Smith, role: agent, location: GB }
  - { id: "+442071234567", displayName: Line 1, role: line }
`,
      "nobody.directory.yaml": "version: 1\nteam: nobody\npeople: []\n",
    });
    const run = await recorder("policy", "lint", dir);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(
      /^warning {2}trading-desk\.yaml:\d+:\d+: member 8:acs:\S+-bob of team trading-desk has no entry/m,
    );
    expect(run.stderr).toMatch(
      /^warning {2}trading-desk\.yaml:\d+:\d+: member \+442071234568 of team trading-desk has no entry/m,
    );
    expect(run.stderr).not.toContain("member +442071234567");
    expect(run.stderr).toContain(
      "warning  nobody.directory.yaml: directory for team nobody, which no policy file defines",
    );
  });
});

describe("recorder policy lint: scorecards (docs/reviews.md)", () => {
  it("passes the shipped scorecards", async () => {
    const run = await recorder("policy", "lint", "policies");
    expect(run.stdout).toContain("ok       trading-desk.scorecard.yaml  team trading-desk");
    expect(run.stdout).toContain("3 scorecards: 0 errors, 0 warnings");
  });

  it("fails on a duplicate question id, an unknown team, a misnamed file and a zod error; warns on weights and an old scorecards/ folder", async () => {
    const dir = await policyDir("scorecards", {});
    const desk = await readFile("policies/trading-desk.scorecard.yaml", "utf8");
    await writeFile(
      join(dir, "trading-desk.scorecard.yaml"),
      desk.replace("id: courtesy", "id: clarity").replace("weight: 40", "weight: 30"),
    );
    await writeFile(join(dir, "nobody.scorecard.yaml"), desk.replace("team: trading-desk", "team: nobody"));
    await writeFile(join(dir, "broken.scorecard.yaml"), desk.replace("passMark: 80", "passMark: high"));
    await writeFile(join(dir, "misnamed.scorecard.yaml"), desk);
    // Where scorecards used to live: no longer read (one ConfigMap has no subfolders), so lint says so.
    await mkdir(join(dir, "scorecards"));
    await writeFile(join(dir, "scorecards", "legal.yaml"), desk.replace("team: trading-desk", "team: legal"));
    const run = await recorder("policy", "lint", dir);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("error    trading-desk.scorecard.yaml: question id clarity is used twice");
    expect(run.stderr).toContain("error    nobody.scorecard.yaml: team nobody is defined by no policy file");
    expect(run.stderr).toMatch(/^error {4}broken\.scorecard\.yaml: passMark: /m);
    expect(run.stderr).toContain(
      "error    misnamed.scorecard.yaml: team: trading-desk, but the file is named for team misnamed",
    );
    expect(run.stderr).toContain("warning  scorecards/: not read; scorecards are <team>.scorecard.yaml");
    expect(run.stderr).toContain("warning  trading-desk.scorecard.yaml: section weights add up to 90, not 100");
    expect(run.stdout).toContain("6 scorecards: 4 errors, 2 warnings");
  });
});

describe("recorder policy explain", () => {
  it("says which rule of which file decided, in words", async () => {
    const run = await recorder("policy", "explain", "--from", ALICE, "--to", BOB, "--at", "2026-11-23T09:00:00Z");
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      /^RECORDED \(required\)\n {2}Decided by team trading-desk, rule record-every-call, in trading-desk\.yaml \(sha256 [0-9a-f]{64}\)\./,
    );
    expect(run.stdout).toContain("Record audio, unmixed channels, wav");
    expect(run.stdout).toContain("If recording has not started 10 s after the call starts: hang up the call.");
  });

  it("takes phone numbers and prints the decision as JSON", async () => {
    const run = await recorder(
      "policy",
      "explain",
      "--from",
      "+447700900123",
      "--to",
      CAROL,
      "--at",
      "2026-11-23T10:00:00Z",
      "--call-key",
      "call-3",
      "--json",
    );
    expect(run.code).toBe(0);
    const decision = JSON.parse(run.stdout) as { contributions: { teamId: string; sampling?: { percent: number } }[] };
    expect(decision.contributions[0]).toMatchObject({ teamId: "customer-support", sampling: { percent: 20 } });
  });

  it("refuses a time without an offset", async () => {
    const run = await recorder("policy", "explain", "--from", ALICE, "--to", BOB, "--at", "2026-11-23 09:00");
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("give a time with its offset");
  });

  it("refuses a participant that is no id, instead of deciding a call nobody could make", async () => {
    const run = await recorder("policy", "explain", "--from", "alice", "--to", BOB);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("--from alice: not a participant: give a raw id");
    expect(run.stdout).toBe("");
  });
});

describe("recorder policy diff", () => {
  it("lists every call of the example export whose decision a change would move", async () => {
    const desk = await readFile("policies/trading-desk.yaml", "utf8");
    const dir = await policyDir("proposed", { "trading-desk.yaml": desk.replace("days: 2555", "days: 3650") });
    const run = await recorder("policy", "diff", "policies", dir, "--calls", "docs/examples/calls.jsonl");
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("call example-0001");
    expect(run.stdout).toContain("  - retention: 2555 days → 3650 days");
    expect(run.stdout).not.toContain("call example-0003"); // exempt before and after
    expect(run.stdout).toMatch(
      /10 call\(s\) replayed: 3 would change \(0 no longer recorded, 0 newly recorded, 3 decided differently\)\./,
    );
    expect(
      (await recorder("policy", "diff", "policies", dir, "--calls", "docs/examples/calls.jsonl", "--exit-code")).code,
    ).toBe(1);
    expect(
      (await recorder("policy", "diff", "policies", "policies", "--calls", "docs/examples/calls.jsonl", "--exit-code"))
        .code,
    ).toBe(0);
  });

  it("names the line of a bad calls file", async () => {
    const calls = join(work, "bad.jsonl");
    await writeFile(calls, `{"serverCallId":"a","participants":[]}\n{"participants":[]}\n`);
    const run = await recorder("policy", "diff", "policies", "policies", "--calls", calls);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("bad.jsonl:2: serverCallId");
  });
});

describe("recorder policy: consent by jurisdiction (docs/consent.md)", () => {
  it("lint checks the jurisdiction data with the policies, and refuses a set it does not define", async () => {
    const shipped = await recorder("policy", "lint", "policies");
    expect(shipped.stdout).toMatch(
      /^ok {7}jurisdictions\.\*\.yaml {2}7 set\(s\), 408 area code\(s\) {2}sha256 [0-9a-f]{64}$/m,
    );
    const support = await readFile("policies/customer-support.yaml", "utf8");
    const dir = await policyDir("consent-typo", {
      "customer-support.yaml": support.replace("us-state-unknown: *ask", "us-state-unknwn: *ask"),
    });
    const run = await recorder("policy", "lint", dir);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /^error {4}customer-support\.yaml:\d+:\d+: rule night-shift-every-call: consent names the set us-state-unknwn, which jurisdictions\.sets\.yaml does not define/m,
    );
  });

  it("explain says which party and jurisdiction decided; --located places a party as the directory would", async () => {
    const night = ["--at", "2026-11-23T23:00:00Z"];
    const run = await recorder("policy", "explain", "--from", "+13055550100", "--to", CAROL, ...night);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(
      "Decided by 4:+13055550100 in US-FL (set all-party-consent, placed by phone-number): the strictest party decides.",
    );
    const located = await recorder(
      "policy",
      "explain",
      "--from",
      "+13055550100",
      "--to",
      CAROL,
      ...night,
      "--located",
      "+13055550100=de",
      "--json",
    );
    expect(located.code).toBe(0);
    const decision = JSON.parse(located.stdout) as {
      consent: { requirement: string; decidedBy: object; announcement: object };
    };
    expect(decision.consent).toMatchObject({
      requirement: "notice",
      decidedBy: { party: "4:+13055550100", jurisdiction: "DE", set: "eu", source: "directory" },
      announcement: { locale: "de-DE" },
    });
    const bad = await recorder(
      "policy",
      "explain",
      "--from",
      "+13055550100",
      "--to",
      CAROL,
      "--located",
      "+13055550100=Florida",
    );
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("--located +13055550100=Florida: give <participant>=<ISO 3166 location>");
  });

  it("explain places members by their team's directory (<team>.directory.yaml)", async () => {
    const DAVE = `${RESOURCE}_00000011-dave`;
    const run = await recorder(
      "policy",
      "explain",
      "--from",
      "+13055550100",
      "--to",
      DAVE,
      "--at",
      "2026-11-23T23:00:00Z",
    );
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`- ${DAVE}: DE-BE (directory: directory location DE-BE) → eu → notice`);
  });

  it("diff lists a change of what a recorded call requires", async () => {
    const support = await readFile("policies/customer-support.yaml", "utf8");
    const dir = await policyDir("consent-stricter", {
      "customer-support.yaml": support.replace("timeoutSeconds: 10", "timeoutSeconds: 5"),
    });
    const calls = join(work, "consent-calls.jsonl");
    await writeFile(
      calls,
      `{"serverCallId":"fl","participants":[],"caller":"4:+13055550100","callee":"${CAROL}","at":"2026-11-23T23:00:00Z"}\n`,
    );
    const run = await recorder("policy", "diff", "policies", dir, "--calls", calls);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(
      "  - consent: consent for US-FL (all-party-consent): on refusal record-nothing, on silence record-nothing, wait 10 s → consent for US-FL (all-party-consent): on refusal record-nothing, on silence record-nothing, wait 5 s",
    );
  });
});
