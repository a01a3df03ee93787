import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRedisAuditLog } from "../../src/audit/log.js";
import { sha256Hex } from "../../src/auth/tokens.js";
import { finishedJobsOfCall } from "../support/jobs.js";
import { eventually, startStack, type Stack } from "../support/stack.js";

const RESOURCE = "5e1f7a2c-0d3b-4c8e-9a61-2f4b8c7d9e10";
const user = (name: string) => `8:acs:${RESOURCE}_${name}`;
const AUTO_RESUME_SECONDS = 3;

/** One team may pause (PCI, auto-resume after 3 s, a mid-call stop is restarted), one may not. */
const policies = {
  "pci.yaml": `version: 1
team: { id: pci, name: Card payments }
members: ["${user("p1")}", "${user("p2")}"]
rules:
  - id: record-all
    mode: required
    recording: { content: audio, channel: mixed, format: wav }
    pause: { allowed: true, autoResumeSeconds: ${AUTO_RESUME_SECONDS} }
    enforcement: { startWithinSeconds: 10, onStartFailure: alert, onStop: hang-up }
`,
  "desk.yaml": `version: 1
team: { id: desk, name: Desk }
members: ["${user("d1")}", "${user("d2")}"]
rules:
  - id: record-all
    mode: required
    recording: { content: audio, channel: mixed, format: wav }
`,
};
const tokens = { pci: "pci-operator-token", desk: "desk-operator-token", auditor: "auditor-token" };

let stack: Stack;
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "pause-"));
  await Promise.all(Object.entries(policies).map(([name, text]) => writeFile(join(dir, name), text)));
  await writeFile(
    join(dir, "tokens.yaml.txt"),
    `tokens:
  - { name: pci-operator, role: team, team: pci, sha256: ${sha256Hex(tokens.pci)} }
  - { name: desk-operator, role: team, team: desk, sha256: ${sha256Hex(tokens.desk)} }
  - { name: auditor, role: auditor, sha256: ${sha256Hex(tokens.auditor)} }
`,
  );
  stack = await startStack({ policyDir: dir, env: { API_TOKENS_FILE: join(dir, "tokens.yaml.txt") } });
});
afterAll(async () => {
  await stack?.stop();
  await rm(dir, { recursive: true, force: true });
});

const act = (serverCallId: string, operation: "pause" | "resume", token?: string, reason = "card-capture") =>
  fetch(`${stack.webhookUrl}/api/calls/${encodeURIComponent(serverCallId)}/recording:${operation}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ reason }),
  });

const recordingState = (serverCallId: string) => stack.simulator.getCall(serverCallId)?.recordings[0]?.state;

async function recordedCall(from: string, to: string) {
  const { serverCallId } = await stack.simulator.placeCall({ from, to, durationMs: 30_000 });
  await eventually(() => (recordingState(serverCallId) === "active" ? true : undefined), 10_000, "recording");
  await eventually(
    async () => ((await stack.runtime.sessions.get(serverCallId)).recordingId ? true : undefined),
    5_000,
    "session",
  );
  return serverCallId;
}

describe("PCI pause and resume", () => {
  it("pauses on a team operator's request, is not taken for a failure, and resumes automatically", async () => {
    const serverCallId = await recordedCall(user("p1"), user("p2"));
    const response = await act(serverCallId, "pause", tokens.pci);
    expect(response.status).toBe(202);
    await eventually(() => (recordingState(serverCallId) === "inactive" ? true : undefined), 5_000, "the pause");
    // The policy hangs up when recording stops mid-call: a pause on purpose must not trigger it. The recording
    // check that the inactive state queued (workers/jobs/control/check-recording.ts) is what would hang up: once it ran,
    // the call is still on.
    const [check] = await eventually(
      async () => {
        const jobs = await finishedJobsOfCall(stack, "check-recording", serverCallId);
        return jobs.length > 0 ? jobs : undefined;
      },
      10_000,
      "the recording check after the pause",
    );
    expect(check?.failedReason).toBeUndefined();
    expect(stack.simulator.getCall(serverCallId)?.state).toBe("established");
    await eventually(
      () => (recordingState(serverCallId) === "active" ? true : undefined),
      10_000,
      "the automatic resume",
    );
    await eventually(
      async () => ((await stack.runtime.sessions.get(serverCallId)).pause === undefined ? true : undefined),
      5_000,
      "the pause to be cleared",
    );
    await stack.simulator.endCall(serverCallId);
  });

  it("resumes on request before the maximum", async () => {
    const serverCallId = await recordedCall(user("p1"), user("p2"));
    expect((await act(serverCallId, "pause", tokens.pci)).status).toBe(202);
    await eventually(() => (recordingState(serverCallId) === "inactive" ? true : undefined), 5_000, "the pause");
    await eventually(
      async () => ((await stack.runtime.sessions.get(serverCallId)).pause ? true : undefined),
      5_000,
      "pause state",
    );
    expect((await act(serverCallId, "resume", tokens.pci)).status).toBe(202);
    await eventually(() => (recordingState(serverCallId) === "active" ? true : undefined), 5_000, "the resume");
    await stack.simulator.endCall(serverCallId);
  });

  it("answers every other caller as the access rules say, and audits every attempt", async () => {
    const pciCall = await recordedCall(user("p1"), user("p2"));
    const deskCall = await recordedCall(user("d1"), user("d2"));
    const cases: [string, string | undefined, number][] = [
      [pciCall, undefined, 401],
      [pciCall, "not-a-token", 401],
      [pciCall, tokens.desk, 404], // another team's call looks like no call at all
      ["no-such-call", tokens.pci, 404],
      [pciCall, tokens.auditor, 403], // auditors read, they do not act
      [deskCall, tokens.desk, 403], // the desk's policy does not allow pausing
    ];
    for (const [serverCallId, token, status] of cases) {
      expect({ serverCallId, token, status: (await act(serverCallId, "pause", token)).status }).toEqual({
        serverCallId,
        token,
        status,
      });
    }
    expect((await act(pciCall, "pause", tokens.pci, "not a code!")).status).toBe(400);
    expect(recordingState(pciCall)).toBe("active");

    const audit = await createRedisAuditLog(stack.runtime.redis, stack.config.REDIS_PREFIX).recent(50);
    const refused = audit.filter((entry) => entry.outcome.startsWith("refused"));
    // Every refusal of a caller with a token, and the bad request; a request without a valid token is counted in
    // the metrics, not audited (docs/security.md).
    expect(refused.length).toBeGreaterThanOrEqual(cases.filter(([, , status]) => status !== 401).length + 1);
    expect(audit.filter((e) => e.actor === "anonymous")).toEqual([]);
    expect(audit.find((e) => e.actor === "desk-operator" && e.serverCallId === pciCall)?.outcome).toBe(
      "refused 404: no such call",
    );
    expect(audit.filter((e) => e.outcome === "accepted").map((e) => e.actor)).toContain("pci-operator");
    for (const id of [pciCall, deskCall]) await stack.simulator.endCall(id);
  });
});
