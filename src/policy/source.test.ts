import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createLogger } from "../log.js";
import { PolicyError } from "./load.js";
import { createPolicySource, type PolicySource, type ReloadOutcome } from "./source.js";

const logger = createLogger("silent", "test");
const policyFile = (mode: string) => `version: 1
team: { id: desk, name: Desk }
members: ["8:acs:r_a"]
rules:
  - { id: all, mode: ${mode} }
`;

let dir: string;
let source: PolicySource | undefined;
const outcomes: ReloadOutcome[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "policy-source-"));
  outcomes.length = 0;
});
afterEach(async () => {
  source?.close();
  source = undefined;
  await rm(dir, { recursive: true, force: true });
});

const open = (recheckMs = 60_000, debounceMs = 20) =>
  createPolicySource(dir, logger, { onReload: (o) => outcomes.push(o), debounceMs, recheckMs });

describe("policy source (hot reload)", () => {
  it("refuses to start on invalid policies", async () => {
    await writeFile(join(dir, "desk.yaml"), policyFile("sometimes"));
    await expect(open()).rejects.toBeInstanceOf(PolicyError);
  });

  it("swaps a valid change in whole, and keeps the previous policies when a change is invalid", async () => {
    await writeFile(join(dir, "desk.yaml"), policyFile("required"));
    // Reloads here are explicit: the file watcher must not add its own (on a loaded machine it fired between them).
    source = await open(60_000, 60_000);
    const first = source.snapshot();
    expect(first.policies[0]?.rules[0]?.mode).toBe("required");

    await writeFile(join(dir, "desk.yaml"), policyFile("never"));
    expect(await source.reload()).toEqual({ result: "success", hash: source.hash() });
    expect(source.hash()).not.toBe(first.hash);
    expect(source.current()[0]?.rules[0]?.mode).toBe("never");
    // A snapshot taken before is untouched: a decision in progress keeps a consistent set.
    expect(first.policies[0]?.rules[0]?.mode).toBe("required");

    const beforeBreak = source.hash();
    await writeFile(join(dir, "desk.yaml"), policyFile("sometimes"));
    const refused = await source.reload();
    expect(refused.result).toBe("failure");
    expect(source.hash()).toBe(beforeBreak);
    expect(source.current()[0]?.rules[0]?.mode).toBe("never");
    expect(source.status().reloadError?.join("\n")).toContain("desk.yaml:5:");

    // Reverting the broken edit clears the error without a swap.
    await writeFile(join(dir, "desk.yaml"), policyFile("never"));
    expect(await source.reload()).toEqual({ result: "unchanged", hash: beforeBreak });
    expect(source.status().reloadError).toBeUndefined();
    expect(outcomes.map((o) => o.result)).toEqual(["success", "failure", "unchanged"]);
    // Earlier sets stay available by hash, for calls already decided with them.
    expect(source.policiesFor(first.hash)).toBe(first.policies);
    expect(source.policiesFor(beforeBreak)?.[0]?.rules[0]?.mode).toBe("never");
    expect(source.policiesFor("unknown")).toBeUndefined();
  });

  it("does nothing when the files did not change", async () => {
    await writeFile(join(dir, "desk.yaml"), policyFile("required"));
    source = await open();
    expect((await source.reload()).result).toBe("unchanged");
    expect(outcomes).toEqual([]);
  });

  it("notices a change on disk by itself (watch, or the periodic re-check)", async () => {
    await writeFile(join(dir, "desk.yaml"), policyFile("required"));
    source = await open(200);
    const before = source.hash();
    await writeFile(
      join(dir, "other.yaml"),
      policyFile("never").replace("id: desk", "id: other").replace("r_a", "r_b"),
    );
    const deadline = Date.now() + 5_000;
    while (source.hash() === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    expect(source.current().map((p) => p.team.id)).toEqual(["desk", "other"]);
    expect(source.status().files.map((f) => f.file)).toEqual(["desk.yaml", "other.yaml"]);
  });

  it("reports an unreadable directory as a failed reload and keeps going", async () => {
    await writeFile(join(dir, "desk.yaml"), policyFile("required"));
    source = await open();
    const hash = source.hash();
    await rm(dir, { recursive: true, force: true });
    expect((await source.reload()).result).toBe("failure");
    expect(source.hash()).toBe(hash);
    expect(source.current()).toHaveLength(1);
  });
});
