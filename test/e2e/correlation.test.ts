// Every documented RecordingFileStatusUpdated form reaches its call; a restarted recording is two recordings; an
// unknown call's recording is quarantined, alerted and assigned by the operator command (docs/archive.md).
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { CallAutomationClient } from "@azure/communication-call-automation";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RecordingEventForm } from "../../simulator/index.js";
import { FakeRetention } from "../../src/archive/retention.js";
import { safeSegment } from "../../src/archive/naming.js";
import { createBlobAuditArchive } from "../../src/audit/blob-archive.js";
import { createAuditLog, createRedisAuditLog } from "../../src/audit/log.js";
import { sha256Hex } from "../../src/auth/tokens.js";
import type { AssignRequest, AssignStores } from "../../src/archive/assign.js";
import { gapsCommand } from "../../src/cli/ledger-commands.js";
import type { Output } from "../../src/cli/policy-commands.js";
import { assignCommand as runAssign } from "../../src/cli/recordings-commands.js";
import type { Ledger } from "../../src/ledger/index.js";
import { createLedger } from "../../src/ledger/index.js";
import { metrics } from "../../src/metrics.js";
import { loadPolicies } from "../../src/policy/index.js";
import { createRecordingIndex } from "../../src/retrieval/index-store.js";
import { manifestBlobs } from "../../src/retrieval/indexing.js";
import { eventually, startStack, type Stack } from "../support/stack.js";

const RESOURCE = "5e1f7a2c-0d3b-4c8e-9a61-2f4b8c7d9e10";
const user = (name: string) => `8:acs:${RESOURCE}_${name}`;
const DESK_TOKEN = "desk-reviewer-token";
const DAY = 86_400_000;

/** The desk keeps 30 days and restarts a stopped recording; the vault asks for the longest retention and a hold. */
const POLICIES = {
  "desk.yaml": `version: 1
team: { id: desk, name: Desk }
members: ["${user("d1")}", "${user("d2")}"]
rules:
  - id: record-all
    mode: required
    recording: { content: audio, channel: mixed, format: wav }
    enforcement: { startWithinSeconds: 20, onStartFailure: alert, onStop: restart }
    retention: { days: 30 }
`,
  "vault.yaml": `version: 1
team: { id: vault, name: Vault }
members: ["${user("v1")}"]
rules:
  - id: keep
    mode: required
    recording: { content: audio, channel: mixed, format: wav }
    retention: { days: 3650, legalHold: true }
`,
};

interface GridEvent {
  eventType?: string;
  type?: string;
  subject?: string;
  data?: Record<string, unknown>;
}
type Rule = (event: GridEvent) => GridEvent | undefined;

/**
 * The Event Grid endpoint the simulator delivers to, in front of the app: it passes every delivery on unless a
 * rule drops or changes an event — as a subscription filtered to recording events does, or a forged event would.
 */
async function startRelay(target: () => string) {
  const rules: Rule[] = [];
  const server: Server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on("data", (c: Buffer) => parts.push(c));
    req.on("end", () => {
      void (async () => {
        if (req.method === "OPTIONS") {
          res.writeHead(200, { "webhook-allowed-origin": String(req.headers["webhook-request-origin"] ?? "") }).end();
          return;
        }
        const body = JSON.parse(Buffer.concat(parts).toString("utf8")) as GridEvent | GridEvent[];
        if (req.headers["aeg-event-type"] === "SubscriptionValidation") {
          const code = (body as { data: { validationCode: string } }[])[0]?.data.validationCode;
          res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ validationResponse: code }));
          return;
        }
        const pass = (event: GridEvent) => rules.reduce<GridEvent | undefined>((e, rule) => e && rule(e), event);
        const events = (Array.isArray(body) ? body : [body]).map(pass).filter((e): e is GridEvent => !!e);
        if (events.length === 0) {
          res.writeHead(200).end();
          return;
        }
        const forwarded = await fetch(target(), {
          method: "POST",
          headers: forwardedHeaders(req.headers),
          body: JSON.stringify(Array.isArray(body) ? events : events[0]),
        });
        res.writeHead(forwarded.status).end(await forwarded.text());
      })().catch(() => res.writeHead(503).end());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/eg`,
    rules,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function forwardedHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers))
    if ((name.startsWith("aeg-") || name === "content-type" || name === "origin") && typeof value === "string")
      kept[name] = value;
  return kept;
}

const typeOf = (event: GridEvent) => event.eventType ?? event.type ?? "";
const isRecordingEvent = (event: GridEvent) => typeOf(event) === "Microsoft.Communication.RecordingFileStatusUpdated";
const ofCall = (event: GridEvent, call: { serverCallId: string; correlationId: string }) =>
  event.data?.serverCallId === call.serverCallId ||
  event.subject === `/recording/call/${call.correlationId}` ||
  !!event.subject?.startsWith(`/recording/call/${call.correlationId}/`);

let stack: Stack;
let dir: string;
let relay: Awaited<ReturnType<typeof startRelay>>;
const retention = new FakeRetention();
const logLines: Record<string, unknown>[] = [];
const ledger = () => createLedger(stack.runtime.redis, stack.config.REDIS_PREFIX);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "correlation-"));
  await Promise.all(Object.entries(POLICIES).map(([name, text]) => writeFile(join(dir, name), text)));
  await writeFile(
    join(dir, "tokens.yaml.txt"),
    `tokens:\n  - { name: desk-reviewer, role: team, team: desk, sha256: ${sha256Hex(DESK_TOKEN)} }\n`,
  );
  const logDestination = new Writable({
    write(line: Buffer, _encoding, done) {
      logLines.push(JSON.parse(line.toString("utf8")) as Record<string, unknown>);
      done();
    },
  });
  stack = await startStack({
    policyDir: dir,
    retention,
    logDestination,
    env: { API_TOKENS_FILE: join(dir, "tokens.yaml.txt"), ACS_DELETE_AFTER_ARCHIVE: "true", LOG_LEVEL: "error" },
  });
  relay = await startRelay(() => stack.eventGridUrl);
  await stack.simulator.setEventGridSubscription(relay.url);
});
afterAll(async () => {
  await stack?.stop();
  await relay?.close();
  await rm(dir, { recursive: true, force: true });
});

/** A call whose recording is active for a moment, then ends; its recording events in the form given. */
async function recordedCall(from: string, to: string, recordingEventForm?: RecordingEventForm) {
  const placed = await stack.simulator.placeCall({
    from,
    to,
    durationMs: 120_000,
    recordingDurationMs: 1000,
    ...(recordingEventForm ? { recordingEventForm } : {}),
  });
  await eventually(
    () => (stack.simulator.getCall(placed.serverCallId)?.recordings[0]?.state === "active" ? true : undefined),
    30_000,
    "the recording to be active",
  );
  return placed;
}

async function archivedCall(serverCallId: string, recordings = 1) {
  return eventually(
    async () => {
      const entry = await ledger().get(serverCallId);
      return entry?.outcome === "recorded" && (entry.recordings?.length ?? 0) >= recordings ? entry : undefined;
    },
    40_000,
    `${recordings} recording(s) of the call archived`,
  );
}

async function api(method: string, path: string) {
  const response = await fetch(`${stack.webhookUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${DESK_TOKEN}` },
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}
const listed = async (serverCallId: string) =>
  ((await api("GET", `/api/recordings?serverCallId=${encodeURIComponent(serverCallId)}`)).json.items as {
    recordingId: string;
    team: string;
  }[]) ?? [];
const verified = async (recordingId: string) =>
  (await api("POST", `/api/recordings/${encodeURIComponent(recordingId)}/verify`)).json.ok;

async function blobsUnder(prefix: string): Promise<string[]> {
  const names: string[] = [];
  for await (const blob of stack.runtime.container.listBlobsFlat({ prefix })) names.push(blob.name);
  return names;
}

async function quarantinedAlerts(): Promise<number> {
  const metric = (await metrics.getMetricsAsJSON()).find((m) => m.name === "recordings_quarantined_total");
  return (metric?.values ?? []).reduce((sum, v) => sum + v.value, 0);
}

/** Runs a CLI command's function, collecting what it prints. */
async function printed(command: (io: Output) => Promise<number>) {
  const lines: string[] = [];
  const code = await command({ out: (line) => lines.push(line), err: (line) => lines.push(line) });
  return { code, lines };
}
const assignCommand = (stores: AssignStores, request: AssignRequest) => printed((io) => runAssign(stores, request, io));
const gapsCommandOutput = (ledger: Ledger) =>
  printed((io) => gapsCommand(ledger, { since: "1h", graceMinutes: "30" }, io));

/** The earliest moment our webhook saw the call: what retention counts from. */
async function callSeenAt(serverCallId: string): Promise<number> {
  const session = await stack.runtime.sessions.get(serverCallId);
  return Math.min(...[session.rangSeenAt, session.startedSeenAt].filter((t) => !!t).map((t) => Date.parse(t!)));
}

describe("recording events in every documented form", () => {
  it("file each call's recording under its team and call, listed for the team, with the policy's retention", async () => {
    const forms: RecordingEventForm[] = [
      "call-id",
      "server-call-id",
      "server-call-id+data",
      "server-call-id+recording-id",
      "recording-id",
    ];
    // One more call whose recording event says it started in 2001: retention must not believe it.
    let forged = "";
    relay.rules.push((event) =>
      isRecordingEvent(event) && forged && event.subject?.includes(forged)
        ? { ...event, data: { ...event.data, recordingStartTime: "2001-01-01T00:00:00.000Z" } }
        : event,
    );
    const calls = await Promise.all([
      ...forms.map((form) => recordedCall(user("d1"), user("d2"), form)),
      recordedCall(user("d2"), user("d1"), "server-call-id+recording-id"),
    ]);
    forged = calls[forms.length]!.correlationId;
    await Promise.all(calls.map((call) => stack.simulator.endCall(call.serverCallId)));

    for (const [i, { serverCallId }] of calls.entries()) {
      const entry = await archivedCall(serverCallId);
      const recording = stack.simulator.getCall(serverCallId)!.recordings[0]!;
      const form = stack.simulator.getCall(serverCallId)!.recordingEventForm;
      // The recording's own key: its recordingId when the event names it, else its first chunk's documentId.
      const key = ["call-id", "server-call-id"].includes(form)
        ? `doc-${recording.chunks[0]!.documentId}`
        : recording.recordingId;
      expect(entry, form).toMatchObject({ teamId: "desk", recordingId: key });
      expect(entry.manifest, form).toMatch(
        new RegExp(`^desk/\\d{4}/\\d{2}/\\d{2}/${safeSegment(serverCallId)}/${safeSegment(key)}/manifest\\.json$`),
      );
      expect(await listed(serverCallId), form).toEqual([expect.objectContaining({ recordingId: key, team: "desk" })]);
      expect(await verified(key), form).toBe(true);
      // 30 days from when we saw the call, never from the event's recordingStartTime (2001 for the last call).
      const until = retention.protection(entry.manifest!)?.until?.getTime();
      expect(until, form).toBe((await callSeenAt(serverCallId)) + 30 * DAY);
      expect(await blobsUnder(`_quarantine/`), form).not.toContainEqual(expect.stringContaining(safeSegment(key)));
      if (i === forms.length) {
        const manifest = JSON.parse(
          (await stack.runtime.container.getBlockBlobClient(entry.manifest!).downloadToBuffer()).toString("utf8"),
        ) as { recording: { startTime: string } };
        expect(manifest.recording.startTime).toBe("2001-01-01T00:00:00.000Z"); // kept as a fact, not trusted
      }
    }
    relay.rules.length = 0;
  });

  it("works the same when Event Grid delivers CloudEvents 1.0", async () => {
    await stack.simulator.setEventGridSubscription(relay.url, { schema: "CloudEventSchemaV1_0" });
    try {
      const { serverCallId } = await recordedCall(user("d2"), user("d1"), "call-id");
      await stack.simulator.endCall(serverCallId);
      const entry = await archivedCall(serverCallId);
      expect(entry.teamId).toBe("desk");
      expect(await listed(serverCallId)).toHaveLength(1);
      expect(retention.protection(entry.manifest!)?.until?.getTime()).toBe((await callSeenAt(serverCallId)) + 30 * DAY);
    } finally {
      await stack.simulator.setEventGridSubscription(relay.url);
    }
  });
});

describe("a restarted recording", () => {
  it("ends as two complete, verified archives; no ACS copy deleted before its own verification", async () => {
    // The subject names only ACS's call id and neither recording: each is keyed by its own documentIds.
    const { serverCallId } = await recordedCall(user("d1"), user("d2"), "call-id");
    const first = stack.simulator.getCall(serverCallId)!.recordings[0]!;
    await new Promise((r) => setTimeout(r, 500));
    // Someone else stops it; the desk's policy restarts it (a second recording of the same call).
    const outsider = new CallAutomationClient(stack.simulator.connectionString, { allowInsecureConnection: true });
    await outsider.getCallRecording().stop(first.recordingId);
    await eventually(
      () => (stack.simulator.getCall(serverCallId)?.recordings[1]?.state === "active" ? true : undefined),
      20_000,
      "the restarted recording to be active",
    );
    await new Promise((r) => setTimeout(r, 500));
    await stack.simulator.endCall(serverCallId);

    const entry = await archivedCall(serverCallId, 2);
    const view = stack.simulator.getCall(serverCallId)!.recordings;
    expect(view).toHaveLength(2);
    const keys = view.map((r) => `doc-${r.chunks[0]!.documentId}`);
    expect(entry.recordings!.map((r) => r.recordingId).sort()).toEqual([...keys].sort());
    expect(new Set(entry.recordings!.map((r) => r.manifest)).size).toBe(2);
    expect((await listed(serverCallId)).map((r) => r.recordingId).sort()).toEqual([...keys].sort());
    for (const key of keys) expect(await verified(key)).toBe(true);

    // Every ACS copy was deleted, each only after a blob holding that very document was verified.
    const deletes = () => stack.simulator.requests().filter((r) => r.operation === "delete" && r.status < 300);
    const chunks = view.flatMap((r) => r.chunks);
    await eventually(
      () =>
        stack.simulator.getCall(serverCallId)!.recordings.every((r) => r.chunks.every((c) => c.deleted))
          ? true
          : undefined,
      10_000,
      "the ACS copies to be deleted",
    );
    for (const [i, recording] of view.entries()) {
      for (const chunk of recording.chunks) {
        const [blob] = (await blobsUnder("desk/")).filter(
          (name) => name.includes(`/${safeSegment(keys[i]!)}/`) && name.endsWith(".wav"),
        );
        const properties = await stack.runtime.container.getBlockBlobClient(blob!).getProperties();
        expect(properties.metadata).toMatchObject({ documentid: chunk.documentId, sha256: chunk.sha256 });
        const deleted = deletes().find((r) => chunk.deleteLocation.endsWith(r.path));
        expect(deleted, chunk.documentId).toBeDefined();
        expect(Date.parse(deleted!.at)).toBeGreaterThanOrEqual(properties.lastModified!.getTime());
      }
    }
    expect(chunks.length).toBeGreaterThanOrEqual(2);
  });
});

describe("a recording of a call nobody told us about", () => {
  it("is quarantined, alerted, a ledger gap, and assigned to its call by the audited command", async () => {
    const stranger = { from: user("x1"), to: user("x2") };
    // The app sees none of this call's events but its recording event (a subscription filtered to recordings).
    const hidden: { serverCallId: string; correlationId: string }[] = [];
    relay.rules.push((event) =>
      hidden.some((call) => ofCall(event, call)) && !isRecordingEvent(event) ? undefined : event,
    );
    const alertsBefore = await quarantinedAlerts();
    const placed = await stack.simulator.placeCall({
      ...stranger,
      durationMs: 120_000,
      recordingDurationMs: 1000,
      recordingEventForm: "call-id",
    });
    hidden.push(placed);
    const { serverCallId } = placed;
    await eventually(() => (stack.simulator.getCall(serverCallId)?.state === "established" ? true : undefined));
    const outsider = new CallAutomationClient(stack.simulator.connectionString, { allowInsecureConnection: true });
    await outsider.getCallRecording().start({ callLocator: { kind: "serverCallLocator", id: serverCallId } });
    await eventually(() =>
      stack.simulator.getCall(serverCallId)?.recordings[0]?.state === "active" ? true : undefined,
    );
    await stack.simulator.endCall(serverCallId);
    const recording = await eventually(() => {
      const r = stack.simulator.getCall(serverCallId)?.recordings[0];
      return r?.chunks.length ? r : undefined;
    });
    const key = `doc-${recording.chunks[0]!.documentId}`;

    // Archived, verified and protected in the quarantine area, with the longest retention and the vault's hold.
    const quarantined = await eventually(
      async () => {
        const entry = await ledger().getQuarantine(key);
        return entry?.state === "archived" ? entry : undefined;
      },
      40_000,
      "the recording archived in quarantine",
    );
    expect(quarantined).toMatchObject({
      callId: placed.correlationId,
      reason: expect.stringContaining("no call found"),
    });
    expect(quarantined.manifest).toMatch(
      new RegExp(`^_quarantine/\\d{4}/\\d{2}/\\d{2}/${safeSegment(key)}/manifest\\.json$`),
    );
    const blobs = await blobsUnder(`_quarantine/`);
    const content = blobs.find((name) => name.includes(safeSegment(key)) && /\/chunk-0000\.(wav|mp3|mp4)$/.test(name))!;
    const contentProperties = await stack.runtime.container.getBlockBlobClient(content).getProperties();
    expect(contentProperties.metadata).toMatchObject({
      documentid: recording.chunks[0]!.documentId,
      sha256: recording.chunks[0]!.sha256,
    });
    const protection = retention.protection(content);
    expect(protection?.legalHold).toBe(true);
    expect(protection!.until!.getTime()).toBeGreaterThan(Date.now() + 3649 * DAY);
    // Nowhere else, listed for no team, and not picked up by a reindex.
    expect((await blobsUnder("desk/")).filter((name) => name.includes(safeSegment(key)))).toEqual([]);
    expect(await listed(serverCallId)).toEqual([]);
    for await (const manifest of manifestBlobs(stack.runtime.container)) expect(manifest).not.toMatch(/^_quarantine\//);
    // Alerted: the metric and an error line with `alert`.
    expect(await quarantinedAlerts()).toBe(alertsBefore + 1);
    expect(logLines).toContainEqual(expect.objectContaining({ alert: "recording-quarantined", recordingId: key }));
    // A gap in `recorder ledger gaps`.
    const gaps = await gapsCommandOutput(ledger());
    expect(gaps.code).toBe(1);
    expect(gaps.lines).toContainEqual(expect.stringMatching(new RegExp(`quarantined .*recording=${key}`)));

    // The operator assigns it to its call and team.
    const stores = {
      container: stack.runtime.container,
      retention,
      sessions: stack.runtime.sessions,
      ledger: ledger(),
      index: createRecordingIndex(stack.runtime.redis, stack.config.REDIS_PREFIX),
      audit: createAuditLog(
        stack.runtime.redis,
        stack.config.REDIS_PREFIX,
        createBlobAuditArchive(stack.runtime.blobService.getContainerClient("audit")),
      ),
      policies: await loadPolicies(dir),
      ingest: { blockBytes: 64 * 1024, concurrency: 2 },
    };
    const request = { recordingId: key, serverCallId, by: "ops-oncall", reason: "INC-42: desk call", team: "desk" };
    const out = await assignCommand(stores, request);
    expect(out.code, out.lines.join("\n")).toBe(0);

    const entry = await ledger().get(serverCallId);
    expect(entry).toMatchObject({ outcome: "recorded", teamId: "desk", recordingId: key });
    expect(entry!.manifest).toMatch(
      new RegExp(`^desk/.*/${safeSegment(serverCallId)}/${safeSegment(key)}/manifest\\.json$`),
    );
    expect(await listed(serverCallId)).toEqual([expect.objectContaining({ recordingId: key, team: "desk" })]);
    expect(await verified(key)).toBe(true);
    // The team's 30 days, from when the recording event was first seen (the app never saw the call).
    const until = retention.protection(entry!.manifest!)?.until?.getTime() ?? 0;
    expect(until).toBeGreaterThan(Date.now() + 29 * DAY);
    expect(until).toBeLessThan(Date.now() + 31 * DAY);
    expect(retention.protection(entry!.manifest!)?.legalHold).toBe(false);
    // No longer a gap; the quarantine copy stays (it cannot be deleted), marked with where it went.
    expect(await ledger().getQuarantine(key)).toMatchObject({
      state: "assigned",
      assigned: { serverCallId, teamId: "desk" },
    });
    expect((await gapsCommandOutput(ledger())).lines).not.toContainEqual(expect.stringContaining(key));
    expect(await blobsUnder("_quarantine/")).toEqual(
      expect.arrayContaining([content, quarantined.manifest!.replace(/manifest\.json$/, "assigned.json")]),
    );
    // Audited, from the request to the outcome.
    const audited = (await createRedisAuditLog(stack.runtime.redis, stack.config.REDIS_PREFIX).recent(20)).filter(
      (e) => e.action === "recordings:assign" && e.recordingId === key,
    );
    expect(audited.map((e) => e.outcome).reverse()).toEqual(["started", "assigned"]);
    expect(audited[0]).toMatchObject({ actor: "ops-oncall", serverCallId, reason: "INC-42: desk call" });
    // A second run changes nothing; another call is refused, and that is audited too.
    expect((await assignCommand(stores, request)).code).toBe(0);
    const other = await assignCommand(stores, { ...request, serverCallId: "another-call" });
    expect(other).toMatchObject({ code: 1, lines: [expect.stringMatching(/^refused: already assigned/)] });
    // The same through the `recorder` binary, wired from the environment as an operator runs it.
    const recorder = (...args: string[]) =>
      new Promise<{ code: number; output: string }>((resolve) => {
        execFile(
          process.execPath,
          ["bin/recorder.mjs", "recordings", "assign", key, ...args, "--reason", "INC-42", "--by", "ops-oncall"],
          { env: { ...process.env, ...stack.env, POLICY_DIR: dir } },
          (error, stdout, stderr) =>
            resolve({ code: error ? Number(error.code ?? 1) : 0, output: `${stdout}${stderr}` }),
        );
      });
    expect(await recorder("--call", serverCallId)).toEqual({
      code: 0,
      output: expect.stringContaining(`already assigned to ${serverCallId}`),
    });
    expect(await recorder("--call", "another-call")).toEqual({
      code: 1,
      output: expect.stringContaining("refused: already assigned"),
    });
    relay.rules.length = 0;
  });
});
