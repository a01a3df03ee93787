import { describe, expect, it } from "vitest";
import { POLICY_REFUSED_MESSAGE, POLICY_RELOADED_MESSAGE } from "../../src/policy/index.js";
import { policyNotice } from "./policy-notices.js";

const line = (fields: Record<string, unknown>) => JSON.stringify({ level: 50, time: 1, name: "webhook", ...fields });

describe("policyNotice", () => {
  it("names the refused files and reasons", () => {
    const notice = policyNotice(
      "worker",
      line({ msg: POLICY_REFUSED_MESSAGE, dir: "policies", problems: ["legal.yaml:3:1: team.id: bad"], keptHash: "x" }),
    );
    expect(notice).toBe(
      "Policies   worker REFUSED the policy change in policies; the previous policies stay in force:\n" +
        "             legal.yaml:3:1: team.id: bad",
    );
  });

  it("shows at most five reasons", () => {
    const problems = Array.from({ length: 8 }, (_, i) => `f${i}.yaml:1:1: bad`);
    const notice = policyNotice("webhook", line({ msg: POLICY_REFUSED_MESSAGE, dir: "p", problems }))!;
    expect(notice).toContain("f4.yaml:1:1: bad\n             (and 3 more)");
    expect(notice).not.toContain("f5.yaml");
  });

  it("says when a change is in force", () => {
    expect(policyNotice("webhook", line({ msg: POLICY_RELOADED_MESSAGE, dir: "p", hash: "abcdef0123456789" }))).toBe(
      "Policies   webhook reloaded the policies in p (abcdef012345): new calls use them",
    );
  });

  it.each([
    ["another log line", line({ msg: "policies loaded", dir: "p", hash: "abc" })],
    ["a line that is not JSON", "policy change refused: the previous policies stay in force"],
    ["JSON that is not an object", '"policy"'],
    ["nothing about policies", line({ msg: "workers running" })],
  ])("ignores %s", (_what, text) => {
    expect(policyNotice("webhook", text)).toBeUndefined();
  });
});
