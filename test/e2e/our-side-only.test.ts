// record-our-side-only end to end (issue 20; docs/consent-flow.md "Our side only"): a desk agent calls a customer in
// California (all-party consent); the customer refuses (or says nothing) and the policy says record-our-side-only.
// The call is recorded unmixed in ACS's storage, ingest archives only the agent's channel, the manifest says what ACS
// served and what was archived, and ACS's copy is deleted. The simulator's WAV gives each speaker its own tone
// (simulator/wav.ts), so the archived samples tell whose voice was kept.
import { createHash } from "node:crypto";
import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Writable } from "node:stream";
import { BlobServiceClient } from "@azure/storage-blob";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLedger, type LedgerEntry } from "../../src/ledger/index.js";
import { SAMPLE_RATE } from "../../simulator/wav.js";
import {
  agentLeaves,
  californianNumber,
  consentPolicyDir,
  consentTeamPolicy,
  threeWayCall,
} from "../support/consent.js";
import { eventually, startStack, type Stack } from "../support/stack.js";

const RESOURCE = "7a1c2e3f-4b5d-4e6f-8a9b-0c1d2e3f4a5b";
const AGENT = `8:acs:${RESOURCE}_our-side-agent`;
const VAULT_AGENT = `8:acs:${RESOURCE}_our-side-vault-agent`;
const CALIFORNIA = californianNumber(2000);
const VAULT = "our-side-vault";
const TOKEN = "our-side-auditor-token";

const team = (id: string, member: string, storage = "") =>
  consentTeamPolicy({
    id,
    members: [member],
    teamLines: storage,
    channel: "unmixed",
    onRefusal: "record-our-side-only",
    onSilence: "record-our-side-only",
    elsewhere: "{ require: none }",
  });

let stack: Stack;
let dir: string;
/** The webhook's and workers' log lines, for the alert of a failed delete. */
const lines: Record<string, unknown>[] = [];
const capture = new Writable({
  write(chunk: Buffer, _encoding, done) {
    for (const text of chunk.toString("utf8").split("\n"))
      if (text.trim()) lines.push(JSON.parse(text) as Record<string, unknown>);
    done();
  },
});
beforeAll(async () => {
  const made = await consentPolicyDir("our-side-", {}, [{ name: "auditor", role: "auditor", value: TOKEN }]);
  dir = made.dir;
  stack = await startStack({
    policyDir: dir,
    customerStorage: { grantedContainers: [VAULT] },
    env: { API_TOKENS_FILE: made.tokensFile, LOG_LEVEL: "warn" },
    logDestination: capture,
    async beforeRuntime(azurite) {
      const customer = BlobServiceClient.fromConnectionString(azurite.connectionString);
      await customer.getContainerClient(VAULT).createIfNotExists();
      await writeFile(join(dir, "desk.yaml"), team("desk", AGENT));
      const storage = `  storage: { kind: customer, containerUrl: "${azurite.accountUrl}/${VAULT}" }`;
      await writeFile(join(dir, "vault.yaml"), team("vault", VAULT_AGENT, storage));
    },
  });
}, 60_000);
afterAll(async () => {
  await stack?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const view = (serverCallId: string) => stack.simulator.getCall(serverCallId);
const ledger = () => createLedger(stack.runtime.redis, stack.config.REDIS_PREFIX);
const blob = (name: string) => stack.runtime.container.getBlockBlobClient(name).downloadToBuffer();
const sha256 = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");

interface Manifest {
  recordingId: string;
  channelMap: { participantId: string; channel: number | null }[];
  consent?: { outcome?: string; target?: string; fallback?: string };
  ourSideOnly?: { unarchivedParties: { party: string; why: string }[] };
  chunks: {
    blob: string;
    sha256: string;
    sizeBytes: number;
    metadataBlob: string;
    metadataSha256: string;
    received?: { sha256: string; sizeBytes: number };
    channels?: {
      served: number;
      kept: { channel: number; archivedChannel: number; participants: string[] }[];
      dropped: { channel: number; participants: string[]; why: string }[];
    };
  }[];
}

/**
 * The tone of a mono 16-bit WAV, from its sign changes over the samples that are not silent (simulator/wav.ts: each
 * speaker talks in turn at its own frequency, silence between).
 */
function toneHz(wav: Buffer): number {
  const data = wav.subarray(44);
  let sounding = 0;
  let changes = 0;
  let last = 0;
  for (let i = 0; i < data.length / 2; i++) {
    const sample = data.readInt16LE(i * 2);
    if (sample === 0) continue;
    sounding++;
    if (last !== 0 && Math.sign(sample) !== Math.sign(last)) changes++;
    last = sample;
  }
  return sounding === 0 ? 0 : changes / 2 / (sounding / SAMPLE_RATE);
}

/** The agent calls a Californian customer who answers the consent prompt as scripted (undefined: says nothing). */
async function refusedCall(
  agent: string,
  customer: string,
  keys: string[] | undefined,
  chunkMaxBytes?: number,
  talkMs = 1_200,
) {
  const { serverCallId } = await stack.simulator.placeCall({
    from: agent,
    to: customer,
    durationMs: 120_000,
    ...(chunkMaxBytes ? { chunkMaxBytes } : {}),
  });
  if (keys)
    await stack.simulator.scriptRecognizeAnswer(serverCallId, customer, { kind: "dtmf", tones: keys, afterMs: 200 });
  const recording = await eventually(
    () => view(serverCallId)?.recordings.find((r) => r.state === "active"),
    20_000,
    "the our-side-only recording to be active",
  );
  await new Promise((r) => setTimeout(r, talkMs));
  await stack.simulator.endCall(serverCallId);
  const entry = await eventually(
    async () => {
      const e = await ledger().get(serverCallId);
      return e?.outcome === "recorded" && e.manifest ? e : undefined;
    },
    30_000,
    "the ledger to say recorded",
  );
  const manifest = JSON.parse((await blob(entry.manifest ?? "")).toString("utf8")) as Manifest;
  return { serverCallId, recording, entry, manifest };
}

/** What every our-side-only call must show, whatever the team's storage. */
async function expectOurSideOnly(
  serverCallId: string,
  customer: string,
  entry: LedgerEntry,
  manifest: Manifest,
  why: string,
  agent: string,
  acsCopyDeleted = true,
) {
  const call = view(serverCallId);
  const recording = call?.recordings[0];
  // Unmixed, our agent first, in ACS's own storage (no external storage), WAV.
  expect(recording?.options).toMatchObject({ channel: "unmixed", format: "wav" });
  expect(recording?.options.externalStorage).toBeUndefined();
  expect(recording?.options.audioChannelParticipantOrdering[0]).toBe(agent);
  // Never paused: the refuser is on record as never archived, so the consent gate lets the recording run.
  expect(
    stack.simulator.requests().filter((r) => r.operation === "pauseRecording" && r.serverCallId === serverCallId),
  ).toEqual([]);
  // The strip set is on record, and the ledger says what was done.
  const session = await stack.runtime.sessions.get(serverCallId);
  expect(Object.keys(session.unarchivedParties ?? {})).toEqual([customer]);
  expect(entry.actions?.filter((a) => a.trigger === "consent")).toMatchObject([{ action: "record-our-side-only" }]);
  expect(entry.consent).toMatchObject({ target: customer, outcome: why, fallback: "record-our-side-only" });

  // The manifest: what ACS served vs what was archived, the dropped channel and why, the channel map after stripping.
  expect(manifest.consent).toEqual(entry.consent);
  expect(manifest.ourSideOnly?.unarchivedParties).toMatchObject([{ party: customer, why }]);
  expect(manifest.channelMap).toEqual([{ participantId: agent, channel: 0 }]);
  expect(manifest.chunks.length).toBe(recording?.chunks.length);
  expect(manifest.chunks.length).toBeGreaterThan(0);
  const tones: number[] = [];
  for (const chunk of manifest.chunks) {
    const served = recording?.chunks.find((c) =>
      chunk.metadataBlob.includes(`chunk-${String(c.index).padStart(4, "0")}`),
    );
    expect(chunk.received).toEqual({ sha256: served?.sha256, sizeBytes: served?.sizeBytes });
    expect(chunk.channels).toMatchObject({
      served: 2,
      kept: [{ channel: 0, archivedChannel: 0, participants: [agent] }],
      dropped: [{ channel: 1, participants: [customer], why: "no-consent" }],
    });
    // The archived WAV: one channel (header rewritten), half the served data, the agent's tone only.
    const wav = await blob(chunk.blob);
    expect(sha256(wav)).toBe(chunk.sha256);
    expect(chunk.sha256).not.toBe(chunk.received?.sha256);
    expect(wav.length).toBe(chunk.sizeBytes);
    expect(wav.readUInt16LE(22)).toBe(1);
    expect(wav.readUInt32LE(28)).toBe(SAMPLE_RATE * 2);
    expect(wav.readUInt16LE(32)).toBe(2);
    expect(wav.readUInt32LE(40)).toBe(wav.length - 44);
    expect(wav.readUInt32LE(4)).toBe(wav.length - 8);
    expect(wav.length - 44).toBe(((served?.sizeBytes ?? 0) - 44) / 2);
    // Speaker 0 (the caller, our agent) is 400 Hz, speaker 1 (the customer) 500 Hz (simulator/wav.ts).
    expect(call?.participants.indexOf(agent)).toBe(0);
    tones.push(toneHz(wav));
    // The metadata document archived is the one ACS served: both channels named, hashed as served.
    const metadata = await blob(chunk.metadataBlob);
    expect(sha256(metadata)).toBe(chunk.metadataSha256);
    expect(JSON.parse(metadata.toString("utf8"))).toMatchObject({
      participants: [
        { participantId: agent, channel: 0 },
        { participantId: customer, channel: 1 },
      ],
    });
  }
  // Every chunk where anyone is heard is the agent's tone (the estimate is a few % off — the envelope's ramps,
  // samples rounded to 0 —: the nearest tone is what counts); a chunk may hold only the customer's turn: silent then.
  expect(tones.some((hz) => hz > 0)).toBe(true);
  for (const hz of tones.filter((t) => t > 0)) {
    expect(Math.abs(hz - 400)).toBeLessThan(50);
    expect(Math.abs(hz - 400)).toBeLessThan(Math.abs(hz - 500));
  }
  // ACS's copy (every channel) is gone.
  if (acsCopyDeleted)
    await eventually(
      () => (view(serverCallId)?.recordings[0]?.chunks.every((c) => c.deleted) ? true : undefined),
      10_000,
      "ACS's copy to be deleted",
    );
  // verify re-reads every byte against the manifest.
  const verified = await eventually(
    async () => {
      const res = await fetch(`${stack.webhookUrl}/api/recordings/${encodeURIComponent(manifest.recordingId)}/verify`, {
        method: "POST",
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      return res.status === 200 ? ((await res.json()) as { ok: boolean; chunks: { ok: boolean }[] }) : undefined;
    },
    10_000,
    "the recording to be verifiable",
  );
  expect(verified.ok).toBe(true);
}

describe("record-our-side-only", () => {
  it("a customer refuses (2): recorded unmixed, only our agent's channel of every chunk archived, ACS's copy deleted, verify passes", async () => {
    const customer = CALIFORNIA(1);
    // Chunks of at most 100 kB (~1.56 s of two channels, longer than the simulator's 1.5 s cycle of turns, so that
    // every whole chunk holds the agent's turn): several chunks, each stripped, frames split across pieces.
    const { serverCallId, recording, entry, manifest } = await refusedCall(AGENT, customer, ["2"], 100_000, 3_500);
    expect(manifest.chunks.length).toBeGreaterThan(1);
    // Recording was started only after the refusal (nothing before the answer).
    const answered = Date.parse(entry.consent?.answeredAt ?? "");
    expect(Date.parse(recording.requestedAt)).toBeGreaterThanOrEqual(answered);
    await expectOurSideOnly(serverCallId, customer, entry, manifest, "refused", AGENT);
  }, 90_000);

  it("silence, for a team on storage: customer: recorded to ACS's storage, not the customer's container", async () => {
    const customer = CALIFORNIA(2);
    const { serverCallId, entry, manifest } = await refusedCall(VAULT_AGENT, customer, undefined);
    await expectOurSideOnly(serverCallId, customer, entry, manifest, "silent", VAULT_AGENT);
    // Archived in our container (downloaded and stripped), nothing sealed in the customer's.
    for (const chunk of manifest.chunks) expect(chunk.blob).not.toMatch(/^https?:/);
  }, 90_000);

  it("the agent leaves and comes back on a storage: customer call recorded for our side only: the new recording is our side's too", async () => {
    // Both customers refuse: our side only. The agent (the one in scope) leaves: stopped by scope; back: a new
    // recording, still our side only.
    const serverCallId = await threeWayCall(stack, VAULT_AGENT, [CALIFORNIA(5), "4:+442079460077"], "2");
    await agentLeaves(stack, serverCallId, VAULT_AGENT);
    await stack.simulator.addParticipant(serverCallId, VAULT_AGENT);
    const second = await eventually(
      () => view(serverCallId)?.recordings.find((r, i) => i > 0 && r.state === "active"),
      20_000,
      "a new recording after the agent is back",
    );
    // Unmixed WAV, our agent first, in ACS's own storage: never the team's container, where the customer's channel
    // could not be stripped.
    expect(second.options).toMatchObject({ channel: "unmixed", format: "wav" });
    expect(second.options.externalStorage).toBeUndefined();
    expect(second.options.audioChannelParticipantOrdering[0]).toBe(VAULT_AGENT);
    expect(
      stack.simulator.requests().filter((r) => r.operation === "pauseRecording" && r.serverCallId === serverCallId),
    ).toEqual([]);
    await stack.simulator.endCall(serverCallId);
  }, 90_000);

  it("a joiner refuses while recording (the customer consented): paused, put on record, resumed; our channel only archived", async () => {
    const [customer, joiner] = [CALIFORNIA(4), CALIFORNIA(5)];
    const { serverCallId } = await stack.simulator.placeCall({ from: AGENT, to: customer, durationMs: 120_000 });
    await stack.simulator.scriptRecognizeAnswer(serverCallId, customer, { kind: "dtmf", tones: ["1"], afterMs: 200 });
    await eventually(
      () => view(serverCallId)?.recordings.find((r) => r.state === "active"),
      20_000,
      "the recording to be active",
    );
    await new Promise((r) => setTimeout(r, 400));
    await stack.simulator.scriptRecognizeAnswer(serverCallId, joiner, { kind: "dtmf", tones: ["2"], afterMs: 200 });
    await stack.simulator.addParticipant(serverCallId, joiner);
    const ofCall = (operation: string) =>
      stack.simulator.requests().filter((r) => r.operation === operation && r.serverCallId === serverCallId);
    await eventually(() => (ofCall("resumeRecording").length > 0 ? true : undefined), 20_000, "the resume");
    // Paused before the joiner was asked (the consent flow), resumed by the fallback once they were on record.
    expect(ofCall("pauseRecording").map((r) => r.status)).toEqual([202]);
    expect(Date.parse(ofCall("resumeRecording")[0]?.at ?? "")).toBeGreaterThan(
      Date.parse(ofCall("pauseRecording")[0]?.at ?? ""),
    );
    expect(ofCall("stopRecording")).toEqual([]);
    expect(ofCall("startRecording")).toHaveLength(1);
    const session = await stack.runtime.sessions.get(serverCallId);
    expect(session.unarchivedParties).toMatchObject({ [joiner]: { why: "refused" } });
    await new Promise((r) => setTimeout(r, 1_600));
    await stack.simulator.endCall(serverCallId);
    const entry = await eventually(
      async () => {
        const e = await ledger().get(serverCallId);
        return e?.outcome === "recorded" && e.manifest ? e : undefined;
      },
      30_000,
      "the ledger to say recorded",
    );
    expect(entry.actions?.filter((a) => a.trigger === "consent")).toMatchObject([{ action: "record-our-side-only" }]);
    const manifest = JSON.parse((await blob(entry.manifest ?? "")).toString("utf8")) as Manifest;
    expect(manifest.ourSideOnly?.unarchivedParties).toMatchObject([{ party: joiner, why: "refused" }]);
    expect(manifest.channelMap).toEqual([{ participantId: AGENT, channel: 0 }]);
    for (const chunk of manifest.chunks) {
      // The customer consented, but is not ours: dropped as well (only the recording teams' members are kept).
      expect(chunk.channels?.kept).toEqual([{ channel: 0, archivedChannel: 0, participants: [AGENT] }]);
      expect(chunk.channels?.dropped.map((d) => [d.participants, d.why])).toContainEqual([[customer], "not-ours"]);
      const wav = await blob(chunk.blob);
      expect(wav.readUInt16LE(22)).toBe(1);
      expect(sha256(wav)).toBe(chunk.sha256);
    }
    await eventually(
      () => (view(serverCallId)?.recordings[0]?.chunks.every((c) => c.deleted) ? true : undefined),
      10_000,
      "ACS's copy to be deleted",
    );
  }, 90_000);

  it("ACS refuses the delete: the chunk is archived all the same, the kept copy at ACS is alerted", async () => {
    // A 403, not a 5xx (the SDK's pipeline retries those by itself): the job does not retry a failed delete.
    stack.simulator.addFault({ target: "delete", kind: "status", status: 403, times: 1 });
    const customer = CALIFORNIA(3);
    const { serverCallId, entry, manifest } = await refusedCall(AGENT, customer, ["2"]);
    await expectOurSideOnly(serverCallId, customer, entry, manifest, "refused", AGENT, false);
    const alert = await eventually(
      () => lines.find((l) => l.alert === "our-side-only-acs-copy-kept" && l.serverCallId === serverCallId),
      10_000,
      "the alert of the kept copy",
    );
    expect(alert).toMatchObject({ level: 50, recordingId: manifest.recordingId });
    expect(view(serverCallId)?.recordings[0]?.chunks.map((c) => c.deleted)).toEqual([false]);
  }, 90_000);
});
