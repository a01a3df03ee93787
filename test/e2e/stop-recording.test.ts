// Stopping a recording on purpose (issue 22), through the whole stack: the person in scope leaves a group call
// (scope follows presence), comes back (a second recording), and a customer objects on a best-effort call (stop on
// request); a required recording cannot be stopped on request. docs/recording-control.md "Someone leaves mid-call".
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRedisAuditLog } from "../../src/audit/log.js";
import { sha256Hex } from "../../src/auth/tokens.js";
import { SCOPE_STOP_SETTLE_MS } from "../../src/calls/index.js";
import { createLedger, type LedgerEntry } from "../../src/ledger/index.js";
import { finishedJobsOfCall } from "../support/jobs.js";
import { eventually, startStack, type Stack } from "../support/stack.js";

const RESOURCE = "5e1f7a2c-0d3b-4c8e-9a61-2f4b8c7d9e10";
const user = (name: string) => `8:acs:${RESOURCE}_${name}`;
const TRADER = user("trader");
/** A desk member on a phone: ACS tells of her only in participant lists (no Event Grid events for phone parties). */
const PHONE_TRADER = "4:+442071110002";
const AGENT = user("agent");
/** Nobody's team: a client of the desk, a colleague from another floor, a customer. */
const CLIENT = "4:+442079460001";
const COLLEAGUE = user("colleague");
const CUSTOMER = user("customer");

/**
 * The desk records its member's calls as long as she is on them (the default `until`), and hangs up if a
 * recording stops: a stop by scope must not trigger that. The contact centre's recordings may be stopped when a
 * customer objects.
 */
const policies = {
  "desk.yaml": `version: 1
team: { id: desk, name: Desk }
members: ["${TRADER}", "${PHONE_TRADER.slice(2)}"]
rules:
  - id: record-all
    mode: required
    recording: { content: audio, channel: mixed, format: wav }
    enforcement: { startWithinSeconds: 10, onStartFailure: hang-up, onStop: hang-up }
`,
  "contact-centre.yaml": `version: 1
team: { id: contact-centre, name: Contact centre }
members: ["${AGENT}"]
rules:
  - id: customer-calls
    mode: best-effort
    recording: { content: audio, channel: mixed, format: wav }
    enforcement: { onStop: restart }
    stop: { allowed: true, reasons: [customer-objection, wrong-number] }
`,
};
const tokens = { desk: "desk-operator-token", centre: "centre-agent-token" };

let stack: Stack;
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "stop-"));
  await Promise.all(Object.entries(policies).map(([name, text]) => writeFile(join(dir, name), text)));
  await writeFile(
    join(dir, "tokens.yaml.txt"),
    `tokens:
  - { name: desk-operator, role: team, team: desk, sha256: ${sha256Hex(tokens.desk)} }
  - { name: centre-agent, role: team, team: contact-centre, sha256: ${sha256Hex(tokens.centre)} }
`,
  );
  stack = await startStack({ policyDir: dir, env: { API_TOKENS_FILE: join(dir, "tokens.yaml.txt") } });
});
afterAll(async () => {
  await stack?.stop();
  await rm(dir, { recursive: true, force: true });
});

const stopRequest = (serverCallId: string, token: string, reason: string) =>
  fetch(`${stack.webhookUrl}/api/calls/${encodeURIComponent(serverCallId)}/recording:stop`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ reason }),
  });

const recordingsOf = (serverCallId: string) => stack.simulator.getCall(serverCallId)?.recordings ?? [];
const startRequests = (serverCallId: string) =>
  stack.simulator.requests().filter((r) => r.operation === "startRecording" && r.serverCallId === serverCallId);

/** Places a call and waits until its n-th recording is active and known to the session; returns when it was seen. */
async function activeRecording(serverCallId: string, index: number): Promise<{ recordingId: string; at: number }> {
  const recording = await eventually(
    () => {
      const found = recordingsOf(serverCallId)[index];
      return found?.state === "active" ? found : undefined;
    },
    10_000,
    `recording ${index + 1} to be active`,
  );
  const at = Date.now();
  await eventually(
    async () =>
      (await stack.runtime.sessions.get(serverCallId)).recordingId === recording.recordingId ? true : undefined,
    5_000,
    "the session to know the recording",
  );
  return { recordingId: recording.recordingId, at };
}

async function placeCall(from: string, to: string, others: string[] = []): Promise<string> {
  const { serverCallId } = await stack.simulator.placeCall({
    from,
    to,
    additionalParticipants: others,
    durationMs: 120_000,
  });
  return serverCallId;
}

/** The ledger entry once every recording of the call is archived (`count` of them). */
async function archived(serverCallId: string, count: number): Promise<LedgerEntry> {
  const ledger = createLedger(stack.runtime.redis, stack.config.REDIS_PREFIX);
  return eventually(
    async () => {
      const entry = await ledger.get(serverCallId);
      return entry?.outcome === "recorded" && entry.recordings?.length === count ? entry : undefined;
    },
    30_000,
    `${count} recording(s) archived`,
  );
}

type ManifestJson = {
  recordingId: string;
  recording: { startTime: string; durationMs: number };
  endedBy?: { trigger: string; by: string; reason: string; at: string };
};
/**
 * The call's archived manifests, oldest recording first. A recording is archived under its recordingId, or under
 * `doc-<documentId>` when its event named none (the simulator takes turns with every documented form).
 */
async function manifestsOf(entry: LedgerEntry): Promise<ManifestJson[]> {
  const manifests = await Promise.all(
    (entry.recordings ?? []).map(async ({ manifest }) => {
      const bytes = await stack.runtime.container.getBlockBlobClient(manifest).downloadToBuffer();
      return JSON.parse(bytes.toString("utf8")) as ManifestJson;
    }),
  );
  return manifests.sort((a, b) => Date.parse(a.recording.startTime) - Date.parse(b.recording.startTime));
}

/** The recording check its `inactive` state queued has run: had it taken the stop for a failure, it would have acted. */
async function recordingCheckRan(serverCallId: string, recordingId: string): Promise<void> {
  const [check] = await eventually(
    async () => {
      const jobs = (await finishedJobsOfCall(stack, "check-recording", serverCallId)).filter(
        (job) => job.data.recordingId === recordingId,
      );
      return jobs.length > 0 ? jobs : undefined;
    },
    15_000,
    "the recording check after the stop",
  );
  expect(check?.failedReason).toBeUndefined();
}

describe("scope follows presence", () => {
  it("the trader leaves a group call: stopped within seconds, not hung up; she rejoins: a second recording; both archived", async () => {
    const serverCallId = await placeCall(TRADER, CLIENT, [COLLEAGUE]);
    const first = await activeRecording(serverCallId, 0);
    await new Promise((resolve) => setTimeout(resolve, 1_500));

    const leftAt = Date.now();
    await stack.simulator.removeParticipant(serverCallId, TRADER);
    await eventually(
      () => (recordingsOf(serverCallId)[0]?.state === "stopped" ? true : undefined),
      5_000,
      "the recording to be stopped",
    );
    const stoppedAfterMs = Date.now() - leftAt;
    expect(stoppedAfterMs).toBeLessThan(5_000);
    expect((await stack.runtime.sessions.get(serverCallId)).stops[first.recordingId]).toMatchObject({
      trigger: "scope",
      by: "scope",
      reason: "no-in-scope-present",
    });
    // The desk hangs up when a recording stops: a stop by scope is no such stop. The client and colleague talk on.
    await recordingCheckRan(serverCallId, first.recordingId);
    expect(stack.simulator.getCall(serverCallId)).toMatchObject({ state: "established" });
    expect(recordingsOf(serverCallId)).toHaveLength(1);

    // She comes back: a new recording under the same rules.
    const rejoinedAt = Date.now();
    await stack.simulator.addParticipant(serverCallId, TRADER);
    const second = await activeRecording(serverCallId, 1);
    expect(second.at - rejoinedAt).toBeLessThan(5_000);
    expect(second.recordingId).not.toBe(first.recordingId);
    expect(startRequests(serverCallId).map((r) => r.status)).toEqual([200, 200]);
    await new Promise((resolve) => setTimeout(resolve, 1_000));

    const endedAt = Date.now();
    await stack.simulator.endCall(serverCallId);
    const entry = await archived(serverCallId, 2);
    expect(entry.stops).toEqual([expect.objectContaining({ recordingId: first.recordingId, trigger: "scope" })]);
    expect(entry.actions).toBeUndefined();

    // The first recording's audio ends where it was stopped: while she was on the call, and the settling moment.
    const [firstManifest, secondManifest] = await manifestsOf(entry);
    if (!firstManifest || !secondManifest) throw new Error("two manifests expected");
    expect(firstManifest.endedBy).toMatchObject({ trigger: "scope", by: "scope", reason: "no-in-scope-present" });
    const presentMs = leftAt - first.at;
    expect(firstManifest.recording.durationMs).toBeGreaterThanOrEqual(presentMs - 300);
    expect(firstManifest.recording.durationMs).toBeLessThanOrEqual(presentMs + stoppedAfterMs + 500);
    expect(firstManifest.recording.durationMs).toBeGreaterThan(0);
    // The second ran until the call ended; the leaves ACS reports as a call ends are not taken for a stop.
    expect(secondManifest.endedBy).toBeUndefined();
    expect(secondManifest.recording.durationMs).toBeLessThanOrEqual(endedAt - second.at + 500);
    await new Promise((resolve) => setTimeout(resolve, SCOPE_STOP_SETTLE_MS + 1_000));
    expect(Object.keys((await stack.runtime.sessions.get(serverCallId)).stops)).toEqual([first.recordingId]);
    expect(await createLedger(stack.runtime.redis, stack.config.REDIS_PREFIX).get(serverCallId)).toMatchObject({
      outcome: "recorded",
      stops: [expect.objectContaining({ recordingId: first.recordingId })],
    });
  }, 90_000);
});

describe("scope follows presence: phone parties, known from lists only", () => {
  it("a desk member joining by phone keeps the recording when the first one leaves; it stops when she leaves too", async () => {
    const serverCallId = await placeCall(TRADER, CLIENT, [COLLEAGUE]);
    const { recordingId } = await activeRecording(serverCallId, 0);
    await stack.simulator.addParticipant(serverCallId, PHONE_TRADER);
    // Only our connection's participant list names her: the decision is made again with it.
    await eventually(
      async () => {
        const { decision } = await stack.runtime.sessions.get(serverCallId);
        return decision?.record && decision.inScope?.includes(PHONE_TRADER) ? true : undefined;
      },
      5_000,
      "the decision to count the phone member in scope",
    );

    await stack.simulator.removeParticipant(serverCallId, TRADER);
    // Whatever the leave made due has run (a stop waits SCOPE_STOP_SETTLE_MS): the recording goes on.
    await new Promise((resolve) => setTimeout(resolve, SCOPE_STOP_SETTLE_MS + 1_500));
    expect(recordingsOf(serverCallId).map((r) => r.state)).toEqual(["active"]);
    expect((await stack.runtime.sessions.get(serverCallId)).stops).toEqual({});

    const leftAt = Date.now();
    await stack.simulator.removeParticipant(serverCallId, PHONE_TRADER);
    await eventually(
      () => (recordingsOf(serverCallId)[0]?.state === "stopped" ? true : undefined),
      5_000,
      "the recording to be stopped once the phone member left",
    );
    expect(Date.now() - leftAt).toBeLessThan(5_000);
    expect((await stack.runtime.sessions.get(serverCallId)).stops[recordingId]).toMatchObject({ trigger: "scope" });
    await recordingCheckRan(serverCallId, recordingId);
    expect(stack.simulator.getCall(serverCallId)).toMatchObject({ state: "established" });
    await stack.simulator.endCall(serverCallId);
  }, 60_000);
});

describe("stop on request", () => {
  it("a best-effort call stopped because the customer objects: archived up to the stop, audited, not restarted", async () => {
    const serverCallId = await placeCall(AGENT, CUSTOMER);
    const { recordingId, at } = await activeRecording(serverCallId, 0);
    await new Promise((resolve) => setTimeout(resolve, 1_000));

    const refused = await stopRequest(serverCallId, tokens.centre, "too-long");
    expect(refused.status).toBe(403);
    expect(await refused.text()).toMatch(/customer-objection, wrong-number/);
    expect((await stopRequest(serverCallId, tokens.desk, "customer-objection")).status).toBe(404);

    const askedAt = Date.now();
    const accepted = await stopRequest(serverCallId, tokens.centre, "customer-objection");
    expect(accepted.status).toBe(202);
    await eventually(
      () => (recordingsOf(serverCallId)[0]?.state === "stopped" ? true : undefined),
      5_000,
      "the recording to be stopped",
    );
    const stoppedAt = Date.now();
    expect((await stopRequest(serverCallId, tokens.centre, "customer-objection")).status).toBe(409);
    // onStop: restart would start it again for a dropped recording; a stop on request stays stopped.
    await recordingCheckRan(serverCallId, recordingId);
    expect(recordingsOf(serverCallId)).toHaveLength(1);
    expect(stack.simulator.getCall(serverCallId)).toMatchObject({ state: "established" });

    await stack.simulator.endCall(serverCallId);
    const entry = await archived(serverCallId, 1);
    expect(entry.stops).toEqual([
      expect.objectContaining({ recordingId, trigger: "request", by: "centre-agent", reason: "customer-objection" }),
    ]);
    // Best-effort rules alert on a dropped recording: a stop on request is none, so no enforcement action at all.
    expect(entry.actions).toBeUndefined();
    const [manifest] = await manifestsOf(entry);
    expect(manifest?.endedBy).toMatchObject({ trigger: "request", by: "centre-agent", reason: "customer-objection" });
    expect(manifest?.recording.durationMs).toBeGreaterThanOrEqual(askedAt - at - 300);
    expect(manifest?.recording.durationMs).toBeLessThanOrEqual(stoppedAt - at + 500);

    const audit = await createRedisAuditLog(stack.runtime.redis, stack.config.REDIS_PREFIX).recent(50);
    const ofCall = audit.filter((e) => e.serverCallId === serverCallId && e.action === "recording:stop");
    expect(ofCall.map((e) => [e.actor, e.reason, e.outcome])).toEqual(
      expect.arrayContaining([
        ["centre-agent", "too-long", expect.stringMatching(/^refused 403/)],
        ["desk-operator", "customer-objection", "refused 404: no such call"],
        ["centre-agent", "customer-objection", "accepted"],
        ["centre-agent", "customer-objection", expect.stringMatching(/^refused 409/)],
      ]),
    );
  }, 60_000);

  it("a required recording cannot be stopped on request: 403, explained, and it goes on", async () => {
    const serverCallId = await placeCall(TRADER, CLIENT);
    await activeRecording(serverCallId, 0);
    const response = await stopRequest(serverCallId, tokens.desk, "customer-objection");
    expect(response.status).toBe(403);
    expect(await response.text()).toMatch(/required recording cannot be stopped on request/);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(recordingsOf(serverCallId).map((r) => r.state)).toEqual(["active"]);
    expect((await stack.runtime.sessions.get(serverCallId)).stops).toEqual({});
    const audit = await createRedisAuditLog(stack.runtime.redis, stack.config.REDIS_PREFIX).recent(50);
    expect(audit.find((e) => e.serverCallId === serverCallId && e.action === "recording:stop")?.outcome).toMatch(
      /^refused 403: the recording is required/,
    );
    await stack.simulator.endCall(serverCallId);
  }, 30_000);
});
