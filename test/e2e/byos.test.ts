// Bring your own storage end to end (docs/byos.md): a team whose policy says `storage: customer` records a call; ACS
// (the simulator) writes it into the team's Azurite container in Microsoft's folder structure; the worker seals it
// there — no copy in the archive, a seal record and a manifest instead — and it is listed, played, verified and
// exported like any other. A failed export (injected, or refused for want of a role) is downloaded instead, and a
// blob changed after sealing is reported by verify.
import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BlobServiceClient, type ContainerClient } from "@azure/storage-blob";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { peaksBlobName } from "../../src/archive/index.js";
import { FakeRetention, type RetentionPort } from "../../src/archive/retention.js";
import { safeSegment } from "../../src/archive/naming.js";
import { bundleVerifyCommand } from "../../src/cli/bundle-commands.js";
import { listCommand } from "../../src/cli/recordings-commands.js";
import { loadEvidenceSigner } from "../../src/evidence/index.js";
import { sha256Hex } from "../../src/auth/tokens.js";
import { gapsCommand } from "../../src/cli/ledger-commands.js";
import { openReconcileDependencies, reconcileCommand } from "../../src/cli/reconcile-commands.js";
import { createLedger } from "../../src/ledger/index.js";
import type { ReconciledCall } from "../../src/reconcile/index.js";
import { customerStorageFallbacks } from "../../src/metrics.js";
import { eventually, startStack, type Stack } from "../support/stack.js";

const RESOURCE = "5e1f7a2c-0d3b-4c8e-9a61-2f4b8c7d9e10";
const user = (name: string) => `8:acs:${RESOURCE}_${name}`;
const TOKEN = "byos-auditor-token";
const VAULT = "customer-vault"; // the vault team's container: ACS holds a role on it
const DENIED = "customer-denied"; // the audit team's container: exists, but ACS holds no role on it

const fake = new FakeRetention();
/** Calls (ACS call ids) whose blobs in the customer's container refuse protection, as a container without immutability would. */
const unprotectable = new Set<string>();
const retention: RetentionPort = {
  kind: "fake",
  async protect(name, protection) {
    if ([...unprotectable].some((callId) => name.includes(`/${callId}/`)))
      throw Object.assign(new Error("409 ImmutableStorageNotEnabled (test)"), { statusCode: 409 });
    return fake.protect(name, protection);
  },
};
let stack: Stack;
let dir: string;
let accountUrl = "";
let customer: BlobServiceClient;

interface Item {
  recordingId: string;
  serverCallId: string;
  team: string;
  chunkCount: number;
  customerStorage?: string;
}
interface Detail {
  manifest: { chunks: { index: number; blob: string; metadataBlob: string; sha256: string; sizeBytes: number }[] };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "byos-"));
  await writeFile(
    join(dir, "tokens.yaml.txt"),
    `tokens:\n  - { name: auditor, role: auditor, sha256: ${sha256Hex(TOKEN)} }\n`,
  );
  stack = await startStack({
    policyDir: dir,
    retention,
    customerStorage: { grantedContainers: [VAULT] },
    diagnosticLogs: { delayMs: 300 },
    env: { API_TOKENS_FILE: join(dir, "tokens.yaml.txt"), PLAYBACK_SAS: "true" },
    async beforeRuntime(azurite) {
      accountUrl = azurite.accountUrl;
      customer = BlobServiceClient.fromConnectionString(azurite.connectionString);
      await customer.getContainerClient(VAULT).createIfNotExists();
      await customer.getContainerClient(DENIED).createIfNotExists();
      const team = (id: string, member: string, container: string) => `version: 1
team:
  id: ${id}
  name: ${id}
  storage: { kind: customer, containerUrl: "${accountUrl}/${container}" }
members: ["${member}"]
rules:
  - { id: all, mode: required, recording: { format: wav }, retention: { days: 30 } }
`;
      await writeFile(join(dir, "vault.yaml"), team("vault", user("v1"), VAULT));
      await writeFile(join(dir, "audit.yaml"), team("audit", user("a1"), DENIED));
    },
  });
});
afterAll(async () => {
  await stack?.stop();
  await rm(dir, { recursive: true, force: true });
});

const api = (method: string, path: string, body?: unknown) =>
  fetch(`${stack.webhookUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, ...(body ? { "content-type": "application/json" } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
const path = (recordingId: string) => `/api/recordings/${encodeURIComponent(recordingId)}`;
const sha256 = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");
const blobNames = async (container: ContainerClient) => {
  const names: string[] = [];
  for await (const blob of container.listBlobsFlat()) names.push(blob.name);
  return names;
};

async function recordCall(
  from: string,
  to: string,
  customerStorageWrite?: "fail" | "duplicate",
  placed?: (call: { correlationId: string }) => void,
): Promise<Item> {
  const { serverCallId, correlationId } = await stack.simulator.placeCall({
    from,
    to,
    durationMs: 2_000,
    recordingDurationMs: 1_500,
    ...(customerStorageWrite ? { customerStorageWrite } : {}),
  });
  placed?.({ correlationId });
  return eventually(
    async () => {
      const page = (await (await api("GET", "/api/recordings")).json()) as { items: Item[] };
      return page.items.find((item) => item.serverCallId === serverCallId);
    },
    60_000,
    `the recording of ${serverCallId} listed`,
  );
}
const fallbacks = async (why: string) =>
  (await customerStorageFallbacks.get()).values.find((v) => v.labels.why === why)?.value ?? 0;

/** `recorder reconcile --since 15m --json` against the simulator's call logs in the stack's Azurite. */
async function reconcileNow(): Promise<ReconciledCall[]> {
  const opened = await openReconcileDependencies({
    ...stack.env,
    RECONCILE_STORAGE_RESOURCE_ID: stack.acsArmResourceId,
  });
  const out: string[] = [];
  try {
    await reconcileCommand(
      opened.dependencies,
      { since: "15m", json: true },
      { out: (l) => out.push(l), err: () => {} },
    );
    return out
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((p) => "correlationId" in p) as unknown as ReconciledCall[];
  } finally {
    opened.close();
  }
}

describe("bring your own storage", () => {
  let sealed: Item;
  let fallback: Item;
  let duplicated: Item;

  it("seals a recording where ACS wrote it: listed with its container, nothing copied, protected, in the ledger", async () => {
    sealed = await recordCall(user("v1"), user("x1"));
    expect(sealed).toMatchObject({ team: "vault", chunkCount: 1, customerStorage: `${accountUrl}/${VAULT}` });
    // `recorder recordings list` says where the bytes are, too.
    const table: string[] = [];
    await listCommand(
      { url: stack.webhookUrl, token: TOKEN, team: "vault" },
      { out: (l) => table.push(l), err: () => {} },
    );
    expect(table[0]).toMatch(/ STORED /);
    expect(table.find((line) => line.includes(sealed.recordingId))).toContain(`${accountUrl}/${VAULT}`);
    const detail = (await (await api("GET", path(sealed.recordingId))).json()) as Detail;
    const chunk = detail.manifest.chunks[0]!;
    // The manifest names the bytes where they are: ACS's blob in the customer's container, Microsoft's layout.
    const vault = customer.getContainerClient(VAULT);
    const call = stack.simulator.getCall(sealed.serverCallId)!;
    expect(chunk.blob.startsWith(`${accountUrl}/${VAULT}/`)).toBe(true);
    const name = decodeURIComponent(chunk.blob.slice(`${accountUrl}/${VAULT}/`.length));
    expect(name).toMatch(
      new RegExp(
        `^\\d{8}/${call.correlationId}/${sealed.recordingId.slice(0, 8)}-[0-9a-f-]{36}/0-audiowav[a-z]*\\.[^/]+\\.wav$`,
      ),
    );
    const bytes = await vault.getBlobClient(name).downloadToBuffer();
    expect([sha256(bytes), bytes.length]).toEqual([chunk.sha256, chunk.sizeBytes]);
    const properties = await vault.getBlobClient(name).getProperties();
    expect(properties.metadata).toMatchObject({ sha256: chunk.sha256, team: "vault", recordingid: sealed.recordingId });
    expect((await vault.getBlobClient(name).getTags()).tags).toMatchObject({ sha256: chunk.sha256, team: "vault" });
    // Retention on the blobs in place, as on any archived chunk.
    expect(fake.protection(name)?.until).toBeInstanceOf(Date);
    // The archive holds the seal record and the manifest, never a second copy of the audio.
    const archived = (await blobNames(stack.runtime.container)).filter((n) => n.startsWith("vault/"));
    expect(archived.some((n) => n.endsWith(".wav"))).toBe(false);
    const record = archived.find((n) => n.endsWith("chunk-0000.inplace.json"));
    expect(record).toBeDefined();
    const sealRecord = JSON.parse((await stack.runtime.container.getBlobClient(record!).downloadToBuffer()).toString());
    expect(sealRecord).toMatchObject({ kind: "sealed-in-place", content: { url: chunk.blob, sha256: chunk.sha256 } });
    const entry = await createLedger(stack.runtime.redis, stack.config.REDIS_PREFIX).get(sealed.serverCallId);
    expect(entry).toMatchObject({ outcome: "recorded", teamId: "vault" });
  });

  it("draws its waveform: peaks read from the customer's container, written into our archive, none written there", async () => {
    const detail = (await (await api("GET", path(sealed.recordingId))).json()) as Detail;
    const chunk = detail.manifest.chunks[0]!;
    const response = await eventually(
      async () => {
        const answer = await api("GET", `${path(sealed.recordingId)}/chunks/0/peaks`);
        return answer.status === 200 ? answer : undefined;
      },
      15_000,
      "the peaks of the chunk sealed in place",
    );
    const peaks = (await response.json()) as { channels: number; durationMs: number; peaks: number[][] };
    expect(peaks.channels).toBeGreaterThan(0);
    expect(peaks.peaks[0]!.length).toBe(Math.round((peaks.durationMs * 50) / 1000));
    expect(Math.max(...peaks.peaks.flat())).toBeGreaterThan(0.1); // the simulator's tones, not silence
    const archived = await blobNames(stack.runtime.container);
    expect(archived).toContain(peaksBlobName(chunk.blob));
    expect(peaksBlobName(chunk.blob).startsWith("_in-place-peaks/")).toBe(true);
    expect((await blobNames(customer.getContainerClient(VAULT))).filter((n) => n.endsWith(".peaks.json"))).toEqual([]);
  });

  it("plays it (ticketed stream and SAS), verifies it and exports it with a chain of custody naming its container", async () => {
    const detail = (await (await api("GET", path(sealed.recordingId))).json()) as Detail;
    const chunk = detail.manifest.chunks[0]!;
    const play = (await (await api("POST", `${path(sealed.recordingId)}/chunks/0/play`)).json()) as {
      url: string;
      sasUrl: string;
    };
    const streamed = Buffer.from(await (await fetch(`${stack.webhookUrl}${play.url}`)).arrayBuffer());
    expect(sha256(streamed)).toBe(chunk.sha256);
    expect(sha256(Buffer.from(await (await fetch(play.sasUrl)).arrayBuffer()))).toBe(chunk.sha256);
    const verified = (await (await api("POST", `${path(sealed.recordingId)}/verify`)).json()) as { ok: boolean };
    expect(verified.ok).toBe(true);

    const created = (await (
      await api("POST", "/api/exports", {
        team: "vault",
        from: "2000-01-01T00:00:00Z",
        to: "2100-01-01T00:00:00Z",
        label: "byos case",
        format: "folder",
      })
    ).json()) as { exportId: string };
    const done = await eventually(
      async () => {
        const status = (await (await api("GET", `/api/exports/${created.exportId}`)).json()) as {
          state: string;
          result?: { ok: boolean; problems: string[]; chainOfCustody: string };
        };
        return status.state === "completed" ? status.result : undefined;
      },
      40_000,
      "the export",
    );
    expect(done).toMatchObject({ ok: true, problems: [] });
    const target = stack.runtime.blobService.getContainerClient(stack.config.EXPORT_CONTAINER);
    const custody = JSON.parse((await target.getBlobClient(done!.chainOfCustody).downloadToBuffer()).toString()) as {
      recordings: { files: { kind: string; source: string; path: string; ok: boolean; actualSha256: string }[] }[];
    };
    const file = custody.recordings[0]!.files.find((f) => f.kind === "chunk")!;
    expect(file).toMatchObject({ source: chunk.blob, ok: true, actualSha256: chunk.sha256 });
    const exported = await target.getBlobClient(`vault/${created.exportId}/${file.path}`).downloadToBuffer();
    expect(sha256(exported)).toBe(chunk.sha256);
  });

  it("a zip bundle of it verifies offline: the chunk read from the customer's container, under _customer/", async () => {
    const created = (await (
      await api("POST", "/api/exports", {
        team: "vault",
        from: "2000-01-01T00:00:00Z",
        to: "2100-01-01T00:00:00Z",
        label: "byos zip",
        format: "zip",
      })
    ).json()) as { exportId: string };
    const done = await eventually(
      async () => {
        const status = (await (await api("GET", `/api/exports/${created.exportId}`)).json()) as {
          state: string;
          result?: { ok: boolean; bundle?: string };
        };
        return status.state === "completed" ? status.result : undefined;
      },
      40_000,
      "the zip export",
    );
    expect(done?.ok).toBe(true);
    const target = stack.runtime.blobService.getContainerClient(stack.config.EXPORT_CONTAINER);
    const work = await mkdtemp(join(tmpdir(), "byos-bundle-"));
    try {
      const file = join(work, "bundle.zip");
      await target.getBlobClient(done!.bundle!).downloadToFile(file);
      const publicKey = join(work, "evidence-public.pem");
      await writeFile(publicKey, loadEvidenceSigner({ NODE_ENV: "test" }, () => undefined).publicKeyPem);
      const lines: string[] = [];
      const code = await bundleVerifyCommand(
        file,
        { publicKey },
        { out: (l) => lines.push(l), err: (l) => lines.push(l) },
      );
      expect({ code, lines }).toMatchObject({ code: 0 });
      expect(lines.join("\n")).toContain("bundle verified: every byte and signature checks");
      expect((await readFile(file)).includes(Buffer.from("recordings/_customer/127.0.0.1:"))).toBe(true);
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  });

  it("verify reports a blob changed in the customer's container after sealing", async () => {
    const detail = (await (await api("GET", path(sealed.recordingId))).json()) as Detail;
    const chunk = detail.manifest.chunks[0]!;
    const name = decodeURIComponent(chunk.blob.slice(`${accountUrl}/${VAULT}/`.length));
    const blob = customer.getContainerClient(VAULT).getBlockBlobClient(name);
    const bytes = await blob.downloadToBuffer();
    bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 0xff;
    await blob.upload(bytes, bytes.length);
    const report = (await (await api("POST", `${path(sealed.recordingId)}/verify`)).json()) as {
      ok: boolean;
      chunks: { ok: boolean; actual: { sha256: string }; problems: string[] }[];
    };
    expect(report.ok).toBe(false);
    expect(report.chunks[0]).toMatchObject({ ok: false, actual: { sha256: sha256(bytes) } });
    expect(report.chunks[0]!.problems).toContain("content SHA-256 differs from the manifest");
  });

  it("a failed export to the customer's container: downloaded from ACS instead, with an alert", async () => {
    const before = await fallbacks("customer-write-failed");
    const item = await recordCall(user("v1"), user("x2"), "fail");
    fallback = item;
    expect(item.team).toBe("vault");
    expect(item.customerStorage).toBeUndefined();
    const detail = (await (await api("GET", path(item.recordingId))).json()) as Detail;
    const chunk = detail.manifest.chunks[0]!;
    expect(chunk.blob.startsWith("vault/")).toBe(true);
    const bytes = await stack.runtime.container.getBlobClient(chunk.blob).downloadToBuffer();
    expect(sha256(bytes)).toBe(chunk.sha256);
    expect(await fallbacks("customer-write-failed")).toBeGreaterThan(before);
    const verified = (await (await api("POST", `${path(item.recordingId)}/verify`)).json()) as { ok: boolean };
    expect(verified.ok).toBe(true);
  });

  it("a container that cannot hold retention or a legal hold: downloaded instead, alerted, never called sealed there", async () => {
    const before = await fallbacks("customer-blob-refused");
    const item = await recordCall(user("v1"), user("x5"), undefined, (call) => unprotectable.add(call.correlationId));
    expect(item.team).toBe("vault");
    expect(item.customerStorage).toBeUndefined();
    const detail = (await (await api("GET", path(item.recordingId))).json()) as Detail;
    expect(detail.manifest.chunks[0]!.blob.startsWith("vault/")).toBe(true);
    expect(await fallbacks("customer-blob-refused")).toBeGreaterThan(before);
    const archived = await blobNames(stack.runtime.container);
    expect(archived.some((n) => n.includes(safeSegment(item.serverCallId)) && n.endsWith(".inplace.json"))).toBe(false);
  });

  it("a container ACS holds no role on: the export is refused, nothing is written there, the recording is downloaded", async () => {
    const item = await recordCall(user("a1"), user("x3"));
    expect(item).toMatchObject({ team: "audit", chunkCount: 1 });
    expect(item.customerStorage).toBeUndefined();
    expect(await blobNames(customer.getContainerClient(DENIED))).toEqual([]);
    const detail = (await (await api("GET", path(item.recordingId))).json()) as Detail;
    expect(detail.manifest.chunks[0]!.blob.startsWith("audit/")).toBe(true);
  });

  it("a recording ACS wrote twice (its known issue): the first is sealed, and it is still one recording", async () => {
    const item = await recordCall(user("v1"), user("x4"), "duplicate");
    duplicated = item;
    expect(item).toMatchObject({ team: "vault", chunkCount: 1, customerStorage: `${accountUrl}/${VAULT}` });
    const detail = (await (await api("GET", path(item.recordingId))).json()) as Detail;
    const call = stack.simulator.getCall(item.serverCallId)!;
    const copies = (await blobNames(customer.getContainerClient(VAULT))).filter(
      (n) => n.includes(`/${call.correlationId}/`) && n.endsWith(".wav"),
    );
    expect(copies).toHaveLength(2);
    expect(decodeURIComponent(detail.manifest.chunks[0]!.blob)).toBe(`${accountUrl}/${VAULT}/${copies.sort()[0]}`);
  });

  it("reconciliation and gap reports treat a recording sealed in place and a downloaded one alike", async () => {
    const correlationOf = (item: Item) => stack.simulator.getCall(item.serverCallId)!.correlationId;
    const wanted = [correlationOf(duplicated), correlationOf(fallback)];
    const calls = await eventually(
      async () => {
        const run = await reconcileNow();
        const found = wanted.map((id) => run.find((c) => c.correlationId === id));
        return found.every((c) => c?.recordings.length) ? found : undefined;
      },
      30_000,
      "ACS's logs of both calls",
    );
    for (const call of calls) {
      expect(call).toMatchObject({ status: "verified" });
      expect(call!.recordings[0]!.problem).toBeUndefined();
      expect(call!.recordings[0]!.ours?.chunkCount).toBe(call!.recordings[0]!.acs.chunkCount);
    }
    const lines: string[] = [];
    const ledger = createLedger(stack.runtime.redis, stack.config.REDIS_PREFIX);
    await gapsCommand(
      ledger,
      { since: "1h", graceMinutes: "0" },
      { out: (l) => lines.push(l), err: (l) => lines.push(l) },
    );
    // Every call of this file recorded, in place or downloaded: no gap at all (a gap would be listed by call).
    expect(lines).toEqual([expect.stringMatching(/^no gaps since /)]);
  });
});
