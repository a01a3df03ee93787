import { describe, expect, it } from "vitest";
import { lintPolicies } from "./lint.js";
import { loadPolicies, parsePolicyFile, PolicyError, readPolicyFiles } from "./load.js";

const valid = `version: 1
team: { id: desk, name: Desk }
members: ["8:acs:r_a", "+14255550100"]
rules:
  - id: all
    mode: required
    recording: { channel: unmixed, format: wav }
`;

function problemsOf(text: string): string {
  try {
    parsePolicyFile("desk.yaml", text);
  } catch (error) {
    expect(error).toBeInstanceOf(PolicyError);
    return (error as PolicyError).problems.join("\n");
  }
  throw new Error("expected the file to be refused");
}

/** Appends fields to the one rule of `valid`. */
const withRule = (fields: string) => valid + fields.replace(/^/gm, "    ") + "\n";

describe("policy files", () => {
  it("parses a valid file with defaults, positions and a content hash", () => {
    const policy = parsePolicyFile("desk.yaml", valid);
    expect(policy.team.id).toBe("desk");
    expect(policy.exemptions).toEqual([]);
    expect(policy.rules[0]).toEqual({
      id: "all",
      match: {},
      mode: "required",
      recording: {
        content: "audio",
        channel: "unmixed",
        format: "wav",
        pauseOnStart: false,
        participantOrdering: "team-first",
      },
      enforcement: { startWithinSeconds: 15, onStartFailure: "alert", onStop: "alert" },
      retention: { days: null, legalHold: false },
      pause: { allowed: false, autoResumeSeconds: null },
      samplePercent: 100,
      until: "last-in-scope-leaves",
      stop: { allowed: false, reasons: [] },
    });
    expect(policy.positions).toEqual({
      members: ["desk.yaml:3:11", "desk.yaml:3:24"],
      exemptions: [],
      rules: ["desk.yaml:5:5"],
    });
    expect(policy.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(parsePolicyFile("desk.yaml", valid + "\n").hash).not.toBe(policy.hash);
  });

  it.each([
    ["the default", valid, "last-in-scope-leaves"],
    ["the team's", valid.replace("name: Desk }", "name: Desk, until: call-end }"), "call-end"],
    [
      "the rule's over the team's",
      withRule("until: last-in-scope-leaves").replace("name: Desk }", "name: Desk, until: call-end }"),
      "last-in-scope-leaves",
    ],
    ["the rule's", withRule("until: call-end"), "call-end"],
  ])("until: %s", (_name, text, until) => {
    const rule = parsePolicyFile("desk.yaml", text).rules[0];
    expect(rule?.mode !== "never" && rule?.until).toBe(until);
  });

  it("reads a best-effort rule that may be stopped on request, with its reasons", () => {
    const text = withRule("stop: { allowed: true, reasons: [customer-objection, wrong-number] }").replace(
      "required",
      "best-effort",
    );
    const rule = parsePolicyFile("desk.yaml", text).rules[0];
    expect(rule?.mode !== "never" && rule?.stop).toEqual({
      allowed: true,
      reasons: ["customer-objection", "wrong-number"],
    });
    const forbidden = parsePolicyFile("desk.yaml", withRule("stop: { allowed: false }")).rules[0];
    expect(forbidden?.mode !== "never" && forbidden?.stop).toEqual({ allowed: false, reasons: [] });
  });

  it("takes a single value where a list is expected, and the team's time zone for windows", () => {
    const policy = parsePolicyFile(
      "desk.yaml",
      valid.replace("team: { id: desk, name: Desk }", "team: { id: desk, name: Desk, timeZone: Europe/Paris }") +
        '    match: { direction: inbound, numbers: "+44*", time: { windows: [{ from: "22:00", to: "06:00" }] } }\n',
    );
    expect(policy.rules[0]?.match).toEqual({
      direction: ["inbound"],
      numbers: ["+44*"],
      time: {
        zone: "Europe/Paris",
        windows: [{ days: ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], from: "22:00", to: "06:00" }],
      },
    });
  });

  it("reads a never rule, an exemption and an announcement", () => {
    const policy = parsePolicyFile(
      "desk.yaml",
      `version: 1
team: { id: desk, name: Desk }
members: ["8:acs:r_a"]
exemptions:
  - { id: gp, reason: Personal, members: ["8:acs:r_a"], match: { numbers: "+442079460000" }, until: 2027-01-31 }
rules:
  - { id: pstn, match: { counterpart: pstn }, mode: best-effort, samplePercent: 20, announcement: { text: Recorded, locale: en-GB } }
  - { id: rest, mode: never, reason: Privileged }
`,
    );
    expect(policy.exemptions).toEqual([
      {
        id: "gp",
        reason: "Personal",
        members: ["8:acs:r_a"],
        match: { numbers: ["+442079460000"] },
        until: "2027-01-31",
      },
    ]);
    expect(policy.rules[0]).toMatchObject({ samplePercent: 20, announcement: { text: "Recorded", locale: "en-GB" } });
    expect(policy.rules[1]).toEqual({ id: "rest", match: {}, mode: "never", reason: "Privileged" });
  });

  it.each([
    [
      "unmixed mp3",
      valid.replace("format: wav", "format: mp3"),
      "desk.yaml:7:",
      "unmixed recordings must use format wav",
    ],
    [
      "audio-only mp4",
      valid.replace("channel: unmixed, format: wav", "format: mp4"),
      "desk.yaml:7:",
      "audio-only recordings cannot use mp4",
    ],
    [
      "unmixed video",
      valid.replace("channel: unmixed", "content: audioVideo, channel: unmixed"),
      "desk.yaml:7:",
      "audioVideo recordings must be mixed mp4",
    ],
    [
      "unknown field",
      valid.replace("mode: required", "mode: required\n    colour: red"),
      "desk.yaml:7:",
      "rules.0.colour: unknown field",
    ],
    [
      "misspelt match field",
      withRule("match: { directions: inbound }"),
      "desk.yaml:8:",
      'rules.0.match.directions: unknown field; did you mean "direction"?',
    ],
    [
      "transposed letters in a field",
      valid.replace("mode: required", "mdoe: required"),
      "desk.yaml:",
      'rules.0.mdoe: unknown field; did you mean "mode"?',
    ],
    [
      "misspelt option",
      withRule("match: { scope: internl }"),
      "desk.yaml:8:",
      'expected one of "internal"|"external"; did you mean "internal"?',
    ],
    ["bad member", valid.replace("+14255550100", "0044 20"), "desk.yaml:3:", "E.164"],
    ["YAML syntax", "version: 1\nteam: [", "desk.yaml:", ""],
    ["no rules", valid.slice(0, valid.indexOf("rules:")), "desk.yaml:1:1", "rules: missing (required)"],
    ["unknown direction", withRule("match: { direction: sideways }"), "desk.yaml:8:", "rules.0.match.direction.0"],
    [
      "unknown counterpart kind",
      withRule("match: { counterpart: [pstn, fax] }"),
      "desk.yaml:8:",
      "rules.0.match.counterpart.1",
    ],
    [
      "a number that is not E.164",
      withRule('match: { numbers: ["020 7123 4567"] }'),
      "desk.yaml:8:",
      "an E.164 number",
    ],
    [
      "time without a zone",
      withRule('match: { time: { windows: [{ from: "09:00", to: "17:00" }] } }'),
      "desk.yaml:8:",
      "time windows need a zone",
    ],
    [
      "an unknown time zone",
      withRule('match: { time: { zone: Mars/Olympus, windows: [{ from: "09:00", to: "17:00" }] } }'),
      "desk.yaml:8:",
      "IANA time zone",
    ],
    [
      "an unquoted or short time",
      withRule('match: { time: { zone: UTC, windows: [{ from: "9:00", to: "17:00" }] } }'),
      "desk.yaml:8:",
      "HH:MM",
    ],
    [
      "an empty window",
      withRule('match: { time: { zone: UTC, windows: [{ from: "09:00", to: "09:00" }] } }'),
      "desk.yaml:8:",
      "from and to are equal",
    ],
    [
      "a never rule with recording options",
      valid.replace("mode: required", "mode: never"),
      "desk.yaml:7:",
      "a never rule records nothing: remove recording",
    ],
    [
      "a best-effort rule that hangs up",
      withRule("enforcement: { onStartFailure: hang-up }").replace("required", "best-effort"),
      "desk.yaml:8:",
      "a best-effort rule cannot end a call",
    ],
    [
      "sampling a required rule",
      withRule("samplePercent: 20"),
      "desk.yaml:8:",
      "samplePercent is for best-effort rules",
    ],
    [
      "a sample over 100%",
      withRule("samplePercent: 120").replace("required", "best-effort"),
      "desk.yaml:8:",
      "samplePercent",
    ],
    ["a reason on a recording rule", withRule("reason: because"), "desk.yaml:8:", "reason belongs to never rules"],
    [
      "ordering for mixed audio",
      withRule("").replace("channel: unmixed, format: wav", "channel: mixed, participantOrdering: team-first"),
      "desk.yaml:7:",
      "participant ordering applies to unmixed audio only",
    ],
    [
      "announcement with text and audio",
      withRule('announcement: { text: Hi, audioUrl: "https://x.example/a.wav" }'),
      "desk.yaml:8:",
      "either text or audioUrl",
    ],
    [
      "announcement over plain http",
      withRule('announcement: { audioUrl: "http://x.example/a.wav" }'),
      "desk.yaml:8:",
      "https URL",
    ],
    ["retention of zero days", withRule("retention: { days: 0 }"), "desk.yaml:8:", "rules.0.retention.days"],
    ["fractional seconds", withRule("enforcement: { startWithinSeconds: 2.5 }"), "desk.yaml:8:", "startWithinSeconds"],
    [
      "a duplicated rule id",
      valid + "  - { id: all, mode: never }\n",
      "desk.yaml:8:",
      "id all is already used by rules[0]",
    ],
    [
      "an exemption for a non-member",
      valid + 'exemptions: [{ id: x, reason: r, members: ["8:acs:r_z"] }]\n',
      "desk.yaml:8:",
      "8:acs:r_z is not a member of this team",
    ],
    [
      "an exemption without a reason",
      valid + "exemptions: [{ id: x }]\n",
      "desk.yaml:8:",
      "exemptions.0.reason: missing (required)",
    ],
    [
      "an impossible date",
      valid + "exemptions: [{ id: x, reason: r, until: 2027-02-30 }]\n",
      "desk.yaml:8:",
      "YYYY-MM-DD",
    ],
    [
      "a required rule that may be stopped on request",
      withRule("stop: { allowed: true, reasons: [customer-objection] }"),
      "desk.yaml:8:",
      "rules.0.stop.allowed: a required recording can never be stopped on request",
    ],
    [
      "a stop on request without reasons",
      withRule("stop: { allowed: true }").replace("required", "best-effort"),
      "desk.yaml:8:",
      "rules.0.stop.reasons: a stop on request needs the reasons",
    ],
    [
      "a stop on request with an empty list of reasons",
      withRule("stop: { allowed: true, reasons: [] }").replace("required", "best-effort"),
      "desk.yaml:8:",
      "a stop on request needs the reasons",
    ],
    [
      "reasons for a stop that is not allowed",
      withRule("stop: { allowed: false, reasons: [customer-objection] }"),
      "desk.yaml:8:",
      "reasons go with allowed: true",
    ],
    [
      "a reason listed twice",
      withRule("stop: { allowed: true, reasons: [wrong-number, wrong-number] }").replace("required", "best-effort"),
      "desk.yaml:8:",
      "reason wrong-number is listed twice",
    ],
    [
      "a reason that is not a code",
      withRule('stop: { allowed: true, reasons: ["The customer objects"] }').replace("required", "best-effort"),
      "desk.yaml:8:",
      "a reason code",
    ],
    [
      "an unknown until",
      withRule("until: caller-leaves"),
      "desk.yaml:8:",
      'rules.0.until: Invalid option: expected one of "call-end"|"last-in-scope-leaves"',
    ],
    [
      "an unknown until for the team",
      valid.replace("name: Desk }", "name: Desk, until: forever }"),
      "desk.yaml:2:",
      "team.until",
    ],
    [
      "a never rule with until",
      valid.replace(/mode: required\n.*\n/, "mode: never\n    until: call-end\n"),
      "desk.yaml:",
      "a never rule records nothing: remove until",
    ],
    [
      "a never rule with stop",
      valid.replace(/mode: required\n.*\n/, "mode: never\n    stop: { allowed: false }\n"),
      "desk.yaml:",
      "a never rule records nothing: remove stop",
    ],
    [
      "a version from the future",
      valid.replace("version: 1", "version: 2"),
      "desk.yaml:1:",
      "version: only version 1 exists",
    ],
  ])("rejects %s with file:line:column", (_name, text, where, message) => {
    const problems = problemsOf(text);
    expect(problems).toContain(where);
    expect(problems).toContain(message);
  });

  it("loads the shipped policies, and lint finds nothing to warn about", async () => {
    const policies = await loadPolicies("policies");
    expect(policies.map((p) => p.team.id)).toEqual(["customer-support", "legal", "trading-desk"]);
    expect(lintPolicies(policies, "2026-11-22")).toEqual([]);
  });

  it("reads only the policies of a directory: not the directories, scorecards or jurisdiction data beside them", async () => {
    const { mkdtemp, rm, writeFile } = await import("node:fs/promises");
    const { tmpdir } = await import("node:os");
    const { join } = await import("node:path");
    const dir = await mkdtemp(join(tmpdir(), "policies-"));
    try {
      await writeFile(join(dir, "desk.yaml"), valid);
      // None of these is a policy (each would be refused as one): one flat ConfigMap carries them all.
      await writeFile(join(dir, "desk.directory.yaml"), "version: 1\nteam: desk\npeople: []\n");
      await writeFile(join(dir, "desk.scorecard.yaml"), "version: 1\nteam: desk\ntitle: Desk review\n");
      await writeFile(join(dir, "desk.scorecard.yml"), "version: 1\nteam: desk\n");
      expect((await readPolicyFiles(dir)).map((f) => f.name)).toEqual(["desk.yaml"]);
      expect((await loadPolicies(dir)).map((p) => p.team.id)).toEqual(["desk"]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("lists the problems of every file, and duplicate team ids", async () => {
    const { mkdtemp, writeFile } = await import("node:fs/promises");
    const { tmpdir } = await import("node:os");
    const { join } = await import("node:path");
    const dir = await mkdtemp(join(tmpdir(), "policies-"));
    await writeFile(join(dir, "a.yaml"), valid);
    await writeFile(join(dir, "b.yaml"), valid);
    await writeFile(join(dir, "c.yml"), valid.replace("format: wav", "format: mp3"));
    await writeFile(join(dir, "notes.txt"), "not a policy");
    const error = await loadPolicies(dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PolicyError);
    expect((error as PolicyError).problems).toEqual([
      "c.yml:7:44: rules.0.recording.format: unmixed recordings must use format wav",
      "b.yaml: team id desk is already defined in a.yaml",
    ]);
  });
});
