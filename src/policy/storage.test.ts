import { describe, expect, it } from "vitest";
import { explainCall } from "./explain.js";
import { lintPolicies } from "./lint.js";
import { parsePolicyFile, PolicyError } from "./load.js";
import { containerUrlProblem } from "./schema.js";

const ALICE = "8:acs:r_alice";
const BOB = "8:acs:r_bob";
const team = (id: string, storage: string, members = `["${ALICE}"]`) =>
  parsePolicyFile(
    `${id}.yaml`,
    `version: 1\nteam:\n  id: ${id}\n  name: ${id}\n${storage}members: ${members}\nrules: [{ id: all, mode: required }]\n`,
  );
const problems = (storage: string) => {
  try {
    team("t", storage);
    return [];
  } catch (error) {
    if (error instanceof PolicyError) return error.problems;
    throw error;
  }
};

describe("team storage (docs/byos.md)", () => {
  it("defaults to ACS's storage: nothing in the plan, explained as downloaded", () => {
    const policy = team("t", "");
    expect(policy.storage).toBeUndefined();
    const { decision, text } = explainCall([policy], { participants: [ALICE, BOB], caller: ALICE, callee: BOB });
    expect(decision.record).toBe(true);
    expect(decision.record ? decision.recording.storage : "not recorded").toBeUndefined();
    expect(text).toContain("Storage: ACS's own storage; downloaded into the archive within 24 h.");
  });

  it("customer storage reaches every rule's recording plan and the explanation", () => {
    const url = "https://acct.blob.core.windows.net/recordings";
    const policy = team("t", `  storage: { kind: customer, containerUrl: "${url}" }\n`);
    expect(policy.storage).toEqual({ kind: "customer", containerUrl: url });
    const { decision, text } = explainCall([policy], { participants: [ALICE, BOB], caller: ALICE, callee: BOB });
    expect(decision.record && decision.recording.storage).toEqual({ kind: "customer", containerUrl: url });
    expect(text).toContain(`Storage: written by ACS into the team's container ${url} and sealed there`);
  });

  it.each([
    ["kind customer without a URL", "  storage: { kind: customer }\n", "kind customer needs the containerUrl"],
    [
      "a URL with kind acs",
      '  storage: { kind: acs, containerUrl: "https://a.blob.core.windows.net/c" }\n',
      "containerUrl goes with kind: customer",
    ],
    [
      "plain http to a real account",
      '  storage: { kind: customer, containerUrl: "http://a.blob.core.windows.net/c" }\n',
      "must be https",
    ],
    [
      "a SAS in the URL",
      '  storage: { kind: customer, containerUrl: "https://a.blob.core.windows.net/c?sv=1&sig=x" }\n',
      "never a SAS",
    ],
    [
      "no container",
      '  storage: { kind: customer, containerUrl: "https://a.blob.core.windows.net/" }\n',
      "must name a container",
    ],
    [
      "an emulator URL naming only the account",
      '  storage: { kind: customer, containerUrl: "http://127.0.0.1:10000/devstoreaccount1" }\n',
      "must name a container",
    ],
    ["an unknown kind", "  storage: { kind: s3 }\n", "storage.kind"],
  ])("refuses %s", (_what, storage, message) => {
    expect(problems(storage).join("\n")).toContain(message);
  });

  it("accepts an emulator container over http on loopback", () => {
    expect(containerUrlProblem("http://127.0.0.1:10000/devstoreaccount1/customer")).toBeUndefined();
  });

  it("lint: a container shared by two teams, and a URL below a container", () => {
    const url = "https://acct.blob.core.windows.net/recordings";
    const a = team("a", `  storage: { kind: customer, containerUrl: "${url}" }\n`, `["${ALICE}"]`);
    const b = team("b", `  storage: { kind: customer, containerUrl: "${url}/" }\n`, `["${BOB}"]`);
    const c = team("c", `  storage: { kind: customer, containerUrl: "${url}-c/desk" }\n`, '["8:acs:r_carol"]');
    const warnings = lintPolicies([a, b, c], "2026-12-04").map((w) => `${w.where}: ${w.message}`);
    expect(warnings.filter((w) => w.includes("storage"))).toEqual([
      `b.yaml: storage container ${url}/ is also team a's: both teams' recordings would share one container and its access rules`,
      `c.yaml: storage containerUrl ${url}-c/desk points below a container: where ACS writes then is not documented by Microsoft (docs/byos.md); name the container itself`,
    ]);
  });
});
