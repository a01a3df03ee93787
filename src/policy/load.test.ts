import { describe, expect, it } from "vitest";
import { loadPolicies, parsePolicyFile, PolicyError } from "./load.js";

const valid = `version: 1
team: { id: desk, name: Desk }
members: ["8:acs:r_a", "+14255550100"]
rules:
  - id: all
    mode: required
    recording: { channel: unmixed, format: wav }
`;

describe("policy files", () => {
  it("parses a valid file with defaults and a content hash", () => {
    const policy = parsePolicyFile("desk.yaml", valid);
    expect(policy.team.id).toBe("desk");
    expect(policy.rules[0]?.recording).toEqual({ content: "audio", channel: "unmixed", format: "wav", pauseOnStart: false });
    expect(policy.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(parsePolicyFile("desk.yaml", valid + "\n").hash).not.toBe(policy.hash);
  });

  it.each([
    ["unmixed mp3", valid.replace("format: wav", "format: mp3"), "desk.yaml:7:", "unmixed recordings must use format wav"],
    ["unknown field", valid.replace("mode: required", "mode: required\n    colour: red"), "desk.yaml:7:", "rules.0.colour: unknown field"],
    ["bad member", valid.replace("+14255550100", "0044 20"), "desk.yaml:3:", "E.164"],
    ["YAML syntax", "version: 1\nteam: [", "desk.yaml:", ""],
  ])("rejects %s with file:line:column", (_name, text, where, message) => {
    try {
      parsePolicyFile("desk.yaml", text);
      expect.unreachable("should have thrown");
    } catch (error) {
      expect(error).toBeInstanceOf(PolicyError);
      const problems = (error as PolicyError).problems.join("\n");
      expect(problems).toContain(where);
      expect(problems).toContain(message);
    }
  });

  it("loads the shipped policies", async () => {
    const policies = await loadPolicies("policies");
    expect(policies.map((p) => p.team.id)).toEqual(["customer-support", "trading-desk"]);
  });
});
