// QA retrieval end to end (docs/recordings-api.md): real recordings archived through the simulator, then listed,
// read, played, verified and exported through the API — with the access matrix and the audit log checked.
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { promisify } from "node:util";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BlobLeaseClient, BlockBlobClient } from "@azure/storage-blob";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AuditEntry } from "../../src/audit/log.js";
import { sha256Hex } from "../../src/auth/tokens.js";
import { bundleVerifyCommand } from "../../src/cli/bundle-commands.js";
import { downloadCommand, exportCommand, listCommand, verifyCommand } from "../../src/cli/recordings-commands.js";
import { QueueName } from "../../src/queues/index.js";
import { signTicket } from "../../src/retrieval/tickets.js";
import { eventually, startStack, type Stack } from "../support/stack.js";
import { chainLogs, latestCheckpoint, loadEvidenceSigner } from "../../src/evidence/index.js";

const RESOURCE = "5e1f7a2c-0d3b-4c8e-9a61-2f4b8c7d9e10";
const user = (name: string) => `8:acs:${RESOURCE}_${name}`;
const CUSTOMER = "+447700900123";
const TICKET_SECRET = "t".repeat(40);

const policies = {
  "desk.yaml": `version: 1
team: { id: desk, name: Desk }
members: ["${user("d1")}", "${user("d2")}"]
rules:
  - id: record-all
    mode: required
    recording: { content: audio, channel: unmixed, format: wav }
`,
  "support.yaml": `version: 1
team: { id: support, name: Support }
members: ["${user("s1")}"]
rules:
  - id: customer-sample
    mode: best-effort
    samplePercent: 100
    recording: { content: audio, channel: mixed, format: wav }
`,
  // Names (docs/directory.md). Support's directory also names d1, differently: a desk reviewer must never see it.
  "desk.directory.yaml": `version: 1
team: desk
country: GB
people:
  - { id: "${user("d1")}", displayName: Alice Smith, role: agent, location: GB-ENG }
  - { id: "${user("d2")}", displayName: Bob Okafor, role: supervisor, location: GB }
`,
  "support.directory.yaml": `version: 1
team: support
country: GB
people:
  - { id: "${user("s1")}", displayName: Carol Jones, role: agent, location: GB-SCT }
  - { id: "${CUSTOMER}", displayName: Pat Customer, role: customer, location: GB }
  - { id: "${user("d1")}", displayName: Mallory Elsewhere, role: agent }
`,
};
const tokens = { desk: "desk-reviewer-token", support: "support-reviewer-token", auditor: "auditor-token" };
const NAMES = { desk: "desk-reviewer", support: "support-reviewer", auditor: "auditor" };

let stack: Stack;
let dir: string;
const calls: Record<"desk1" | "desk2" | "desk3" | "support1", string> = {
  desk1: "",
  desk2: "",
  desk3: "",
  support1: "",
};

interface Item {
  recordingId: string;
  serverCallId: string;
  team: string;
  startedAt: string;
  durationSeconds: number;
  participants: string[];
  outcome: string;
  chunkCount: number;
  totalBytes: number;
  channelType: string;
}
interface Detail {
  recording: Item;
  manifestIntact: boolean;
  manifestSha256: string;
  manifest: { chunks: { index: number; blob: string; sha256: string; sizeBytes: number }[] };
  chunks: { index: number; sha256: string; sizeBytes: number; contentType: string }[];
  channelMap: { participantId: string; channel: number | null }[];
  policy: { outcome: string; ruleId: string };
}
let recordings: Item[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "retrieval-"));
  await Promise.all(Object.entries(policies).map(([name, text]) => writeFile(join(dir, name), text)));
  await writeFile(
    join(dir, "tokens.yaml.txt"),
    `tokens:
  - { name: ${NAMES.desk}, role: team, team: desk, sha256: ${sha256Hex(tokens.desk)} }
  - { name: ${NAMES.support}, role: team, team: support, sha256: ${sha256Hex(tokens.support)} }
  - { name: ${NAMES.auditor}, role: auditor, sha256: ${sha256Hex(tokens.auditor)} }
`,
  );
  stack = await startStack({
    policyDir: dir,
    env: {
      API_TOKENS_FILE: join(dir, "tokens.yaml.txt"),
      PLAYBACK_SAS: "true",
      PLAYBACK_TICKET_SECRET: TICKET_SECRET,
      INGEST_BLOCK_BYTES: String(64 * 1024),
    },
  });
  const place = async (from: string, to: string, recordingDurationMs: number, chunkMaxDurationMs?: number) =>
    (
      await stack.simulator.placeCall({
        from,
        to,
        durationMs: 4_000,
        recordingDurationMs,
        ...(chunkMaxDurationMs ? { chunkMaxDurationMs } : {}),
      })
    ).serverCallId;
  [calls.desk1, calls.desk2, calls.desk3, calls.support1] = await Promise.all([
    place(user("d1"), user("d2"), 1_500),
    place(user("d1"), user("d2"), 3_000, 1_500),
    place(user("d2"), user("d1"), 1_000),
    place(`4:${CUSTOMER}`, user("s1"), 1_000),
  ]);
  recordings = await eventually(
    async () => {
      const page = (await (await api("GET", "/api/recordings", tokens.auditor)).json()) as { items: Item[] };
      return page.items.length === 4 ? page.items : undefined;
    },
    60_000,
    "4 recordings indexed",
  );
});
afterAll(async () => {
  await stack?.stop();
  await rm(dir, { recursive: true, force: true });
});

function api(method: string, path: string, token?: string, body?: unknown, headers: Record<string, string> = {}) {
  return fetch(`${stack.webhookUrl}${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body !== undefined ? { "content-type": "application/json" } : {}),
      ...headers,
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
}
const recordingOf = (serverCallId: string) => {
  const found = recordings.find((r) => r.serverCallId === serverCallId);
  if (!found) throw new Error(`no recording for ${serverCallId}`);
  return found;
};
const path = (recordingId: string) => `/api/recordings/${encodeURIComponent(recordingId)}`;
const detailOf = async (recordingId: string) =>
  (await (await api("GET", path(recordingId), tokens.auditor)).json()) as Detail;
const archivedBytes = (blob: string) => stack.runtime.container.getBlockBlobClient(blob).downloadToBuffer();
const sha256 = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");
const today = () => new Date().toISOString().slice(0, 10);

async function auditEntries(): Promise<AuditEntry[]> {
  const entries: AuditEntry[] = [];
  let cursor: string | null = null;
  do {
    const query: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : "";
    const response = await api("GET", `/api/audit?day=${today()}&limit=1000${query}`, tokens.auditor);
    expect(response.status).toBe(200);
    const page = (await response.json()) as { items: AuditEntry[]; nextCursor: string | null };
    entries.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return entries;
}

async function waitForExport(exportId: string, token: string) {
  return eventually(
    async () => {
      const status = (await (await api("GET", `/api/exports/${exportId}`, token)).json()) as {
        state: string;
        result?: { ok: boolean; filesCopied: number; filesSkipped: number; problems: string[] };
        attempts: number;
      };
      return status.state === "completed" ? status : undefined;
    },
    40_000,
    `export ${exportId}`,
  );
}

describe("QA retrieval", () => {
  it("lists and filters each team's recordings from the index", async () => {
    expect(recordings.map((r) => r.team).sort()).toEqual(["desk", "desk", "desk", "support"]);
    const desk2 = recordingOf(calls.desk2);
    expect(desk2).toMatchObject({ chunkCount: 2, outcome: "required", channelType: "unmixed", durationSeconds: 3 });
    expect(desk2.participants).toEqual([user("d1"), user("d2")].sort());
    expect(recordingOf(calls.support1)).toMatchObject({ outcome: "best-effort", team: "support" });
    // Newest first.
    const starts = recordings.map((r) => Date.parse(r.startedAt));
    expect(starts).toEqual([...starts].sort((a, b) => b - a));

    const list = async (query: string, token = tokens.auditor) => {
      const response = await api("GET", `/api/recordings?${query}`, token);
      expect(response.status).toBe(200);
      return ((await response.json()) as { items: Item[] }).items.map((r) => r.serverCallId).sort();
    };
    expect(await list("", tokens.desk)).toEqual([calls.desk1, calls.desk2, calls.desk3].sort());
    expect(await list("", tokens.support)).toEqual([calls.support1]);
    expect(await list("team=support", tokens.desk)).toEqual([]); // another team's name: nothing, not an error
    expect(await list("team=desk")).toEqual([calls.desk1, calls.desk2, calls.desk3].sort());
    expect(await list(`participant=${encodeURIComponent(CUSTOMER)}`)).toEqual([calls.support1]);
    expect(await list(`participant=${encodeURIComponent(`4:${CUSTOMER}`)}`, tokens.desk)).toEqual([]);
    expect(await list(`participant=${encodeURIComponent(user("d2"))}`)).toEqual(
      [calls.desk1, calls.desk2, calls.desk3].sort(),
    );
    expect(await list(`serverCallId=${encodeURIComponent(calls.desk3)}`)).toEqual([calls.desk3]);
    expect(await list(`serverCallId=${encodeURIComponent(calls.desk3)}`, tokens.support)).toEqual([]);
    expect(await list("minDurationSeconds=2")).toEqual([calls.desk2]);
    expect(await list("maxDurationSeconds=1.2")).toEqual([calls.desk3, calls.support1].sort());
    expect(await list("outcome=best-effort")).toEqual([calls.support1]);
    const first = Math.min(...starts);
    const later = starts.filter((start) => start >= first + 1).length;
    expect(await list(`from=${new Date(first + 1).toISOString()}`)).toHaveLength(later);
    expect(await list(`to=${new Date(first + 1).toISOString()}`)).toHaveLength(4 - later);
    expect(await list("from=2000-01-01T00:00:00Z&to=2000-01-02T00:00:00Z")).toEqual([]);

    // Pages of one, following the cursor: every recording once, in order.
    const paged: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : "";
      const page = (await (await api("GET", `/api/recordings?limit=1${query}`, tokens.auditor)).json()) as {
        items: Item[];
        nextCursor: string | null;
      };
      paged.push(...page.items.map((r) => r.recordingId));
      cursor = page.nextCursor;
    } while (cursor);
    expect(paged).toEqual(recordings.map((r) => r.recordingId));
    expect((await api("GET", "/api/recordings?cursor=forged", tokens.auditor)).status).toBe(400);
    expect((await api("GET", "/api/recordings?outcome=never", tokens.auditor)).status).toBe(400);
  });

  it("names the people beside their ids and finds calls by name or phone number, each team in its own directory", async () => {
    const page = async (query: string, token: string) => {
      const response = await api("GET", `/api/recordings?${query}`, token);
      expect(response.status).toBe(200);
      return ((await response.json()) as { items: (Item & { people: unknown[]; reviewStatus: unknown })[] }).items;
    };
    const desk1 = (await page(`serverCallId=${encodeURIComponent(calls.desk1)}`, tokens.auditor))[0]!;
    expect(desk1.people).toEqual([
      { id: user("d1"), displayName: "Alice Smith", role: "agent", location: "GB-ENG" },
      { id: user("d2"), displayName: "Bob Okafor", role: "supervisor", location: "GB" },
    ]);
    expect(desk1.reviewStatus).toBeNull();
    const support1 = (await page("team=support", tokens.support))[0]!;
    expect(support1.people).toEqual(
      expect.arrayContaining([{ id: `4:${CUSTOMER}`, displayName: "Pat Customer", role: "customer", location: "GB" }]),
    );
    const detail = (await (await api("GET", path(desk1.recordingId), tokens.desk)).json()) as { people: unknown[] };
    expect(detail.people).toEqual(desk1.people);

    const found = async (q: string, token: string) =>
      (await page(`q=${encodeURIComponent(q)}`, token)).map((r) => r.serverCallId).sort();
    const allDesk = [calls.desk1, calls.desk2, calls.desk3].sort();
    expect(await found("alice", tokens.desk)).toEqual(allDesk);
    expect(await found("Alice Smith", tokens.desk)).toEqual(allDesk);
    expect(await found("smith alice", tokens.auditor)).toEqual(allDesk);
    expect(await found("Alice Jones", tokens.desk)).toEqual([]);
    expect(await found("pat", tokens.support)).toEqual([calls.support1]);
    // Phone numbers as people write them, the national one read in the team's country (GB).
    for (const typed of ["07700 900123", "+44 7700 900123", "+44 (0)7700 900 123", CUSTOMER]) {
      expect(await found(typed, tokens.support)).toEqual([calls.support1]);
    }
    // Another team: its names and numbers find nothing, and support's name for d1 is not desk's.
    expect(await found("pat", tokens.desk)).toEqual([]);
    expect(await found("07700 900123", tokens.desk)).toEqual([]);
    expect(await found("mallory", tokens.desk)).toEqual([]);
    expect(await found("mallory", tokens.support)).toEqual([]); // d1 is on no support call
    expect(await found("carol", tokens.auditor)).toEqual([calls.support1]);
    expect((await api("GET", `/api/recordings?q=${"x".repeat(201)}`, tokens.desk)).status).toBe(400);
  });

  it("returns one recording with its manifest, chunks, participants and channel map", async () => {
    const desk2 = recordingOf(calls.desk2);
    const response = await api("GET", path(desk2.recordingId), tokens.desk);
    expect(response.status).toBe(200);
    const detail = (await response.json()) as Detail;
    expect(detail.manifestIntact).toBe(true);
    expect(detail.chunks.map((c) => [c.index, c.contentType])).toEqual([
      [0, "audio/wav"],
      [1, "audio/wav"],
    ]);
    expect(detail.channelMap.map((c) => c.participantId).sort()).toEqual([user("d1"), user("d2")].sort());
    expect(detail.channelMap.every((c) => typeof c.channel === "number")).toBe(true);
    expect(detail.policy).toMatchObject({ outcome: "required", ruleId: "record-all" });
    for (const chunk of detail.manifest.chunks) {
      const bytes = await archivedBytes(chunk.blob);
      expect(sha256(bytes)).toBe(chunk.sha256);
    }
    // Waveform peaks written beside each chunk by its chunk-peaks job: both channels, as long as the chunk (1.5 s each).
    // (Queued last by the ingest job, after the manifest that lists the recording: waited for.)
    for (const chunk of detail.chunks) {
      const response = await eventually(
        async () => {
          const answer = await api("GET", `${path(desk2.recordingId)}/chunks/${chunk.index}/peaks`, tokens.desk);
          return answer.status === 200 ? answer : undefined;
        },
        10_000,
        `the peaks of chunk ${chunk.index}`,
      );
      const peaks = (await response.json()) as { channels: number; durationMs: number; peaks: number[][] };
      expect(peaks).toMatchObject({ channels: 2, durationMs: 1_500 });
      expect(peaks.peaks.map((channel) => channel.length)).toEqual([75, 75]); // 50 a second
      expect(Math.max(...peaks.peaks.flat())).toBeGreaterThan(0.1); // the simulator's tones, not silence
    }
    expect((await api("GET", `${path(desk2.recordingId)}/chunks/0/peaks`, tokens.support)).status).toBe(404);
    expect((await api("GET", `${path(desk2.recordingId)}/chunks/9/peaks`, tokens.desk)).status).toBe(404);
  });

  it("answers the access matrix on every endpoint: own team, other team 404, auditor, no token and wrong token 401", async () => {
    const desk = recordingOf(calls.desk1).recordingId;
    const deskExport = (await (
      await api("POST", "/api/exports", tokens.desk, {
        from: "2000-01-01T00:00:00Z",
        to: "2100-01-01T00:00:00Z",
        serverCallId: calls.desk1,
        label: "matrix desk",
      })
    ).json()) as { exportId: string };
    const exportBody = (label: string) => ({
      from: "2000-01-01T00:00:00Z",
      to: "2100-01-01T00:00:00Z",
      team: "desk",
      serverCallId: calls.desk1,
      label,
    });
    const callers = {
      "team A (desk)": tokens.desk,
      "team B (support)": tokens.support,
      auditor: tokens.auditor,
      "no token": undefined,
      "wrong token": "not-a-token",
    };
    const endpoints: [string, (token: string | undefined, caller: string) => Promise<Response>][] = [
      [
        "GET /api/recordings?serverCallId=",
        (t) => api("GET", `/api/recordings?serverCallId=${encodeURIComponent(calls.desk1)}`, t),
      ],
      ["GET /api/recordings/:id", (t) => api("GET", path(desk), t)],
      ["POST /api/recordings/:id/chunks/0/play", (t) => api("POST", `${path(desk)}/chunks/0/play`, t)],
      ["GET /api/recordings/:id/chunks/0/stream", (t) => api("GET", `${path(desk)}/chunks/0/stream`, t)],
      ["POST /api/recordings/:id/verify", (t) => api("POST", `${path(desk)}/verify`, t)],
      [
        "POST /api/exports (team desk)",
        (t, c) => api("POST", "/api/exports", t, exportBody(`matrix ${c.replace(/\W+/g, "-")}`)),
      ],
      ["GET /api/exports/:id", (t) => api("GET", `/api/exports/${deskExport.exportId}`, t)],
      ["GET /api/audit", (t) => api("GET", "/api/audit", t)],
    ];
    const table: string[] = [];
    for (const [endpoint, call] of endpoints)
      for (const [caller, token] of Object.entries(callers)) {
        const response = await call(token, caller);
        // The list answers 200 to every token: what matters is what it holds.
        const listed =
          endpoint.startsWith("GET /api/recordings?") && response.ok
            ? ` (${((await response.json()) as { items: unknown[] }).items.length} items)`
            : "";
        if (!listed) await response.arrayBuffer();
        table.push(`${endpoint} | ${caller} | ${response.status}${listed}`);
      }
    expect(table).toEqual(
      endpoints.flatMap(([endpoint]) => {
        const [own, other, auditor] = endpoint.startsWith("POST /api/exports")
          ? [202, 404, 202]
          : endpoint === "GET /api/audit"
            ? [403, 403, 200]
            : endpoint.startsWith("GET /api/recordings?")
              ? ["200 (1 items)", "200 (0 items)", "200 (1 items)"]
              : [200, 404, 200];
        return [
          `${endpoint} | team A (desk) | ${own}`,
          `${endpoint} | team B (support) | ${other}`,
          `${endpoint} | auditor | ${auditor}`,
          `${endpoint} | no token | 401`,
          `${endpoint} | wrong token | 401`,
        ];
      }),
    );
    // Another team's recording looks exactly like one that does not exist.
    const otherTeams = await api("GET", path(desk), tokens.support);
    const unknown = await api("GET", path("no-such-recording"), tokens.support);
    expect([otherTeams.status, await otherTeams.text()]).toEqual([unknown.status, await unknown.text()]);
    await waitForExport(deskExport.exportId, tokens.desk);
  });

  it("writes an audit entry for every read, refused ones included, to Redis and to append blobs in Blob", async () => {
    const desk = recordingOf(calls.desk1).recordingId;
    const support = recordingOf(calls.support1).recordingId;
    const play = (await (await api("POST", `${path(desk)}/chunks/0/play`, tokens.desk)).json()) as { url: string };
    const before = new Set((await auditEntries()).map((e) => e.id));
    const reads: [string, () => Promise<Response>, Partial<AuditEntry>][] = [
      [
        "list",
        () => api("GET", "/api/recordings?team=desk", tokens.desk),
        { action: "recordings:list", actor: NAMES.desk },
      ],
      [
        "get",
        () => api("GET", path(desk), tokens.desk),
        { action: "recordings:get", recordingId: desk, outcome: "accepted" },
      ],
      [
        "get, other team",
        () => api("GET", path(support), tokens.desk),
        { action: "recordings:get", recordingId: support, outcome: "refused 404: no such recording" },
      ],
      [
        "stream via ticket",
        () => api("GET", play.url, undefined, undefined, { range: "bytes=0-99" }),
        { action: "recordings:stream", recordingId: desk, chunk: 0, actor: NAMES.desk },
      ],
      [
        "download",
        () => api("GET", `${path(desk)}/chunks/0/stream?download=1`, tokens.auditor),
        { action: "recordings:download", actor: NAMES.auditor },
      ],
      [
        "verify",
        () => api("POST", `${path(desk)}/verify`, tokens.auditor),
        { action: "recordings:verify", recordingId: desk },
      ],
    ];
    // Without a valid token: refused, counted in the metrics, not audited (docs/security.md).
    expect((await api("GET", path(desk))).status).toBe(401);
    for (const [, read] of reads) await (await read()).arrayBuffer();
    const after = await auditEntries();
    const fresh = after.filter((e) => !before.has(e.id));
    // Exactly one entry per read, plus the audit listing's own.
    expect(fresh).toHaveLength(reads.length + 1);
    reads.forEach(([what, , expected], i) => {
      expect({ what, entry: fresh[i] }).toMatchObject({ what, entry: { ...expected, from: expect.any(String) } });
    });
    expect(fresh.at(-1)).toMatchObject({ action: "audit:list", actor: NAMES.auditor });
    expect(fresh.find((e) => e.action === "recordings:stream")?.detail).toMatchObject({
      range: "bytes=0-99",
      via: "ticket",
    });

    // The Blob copy: append blobs (append-only by construction), holding the same entries.
    const auditContainer = stack.runtime.blobService.getContainerClient(stack.config.AUDIT_CONTAINER);
    const inBlob: AuditEntry[] = [];
    for await (const blob of auditContainer.listBlobsFlat({ prefix: today().replace(/-/g, "/") })) {
      expect(blob.properties.blobType).toBe("AppendBlob");
      const text = (await auditContainer.getBlobClient(blob.name).downloadToBuffer()).toString("utf8");
      inBlob.push(
        ...text
          .trim()
          .split("\n")
          .map((line) => JSON.parse(line) as AuditEntry),
      );
    }
    expect(inBlob.map((e) => e.id)).toEqual(expect.arrayContaining(fresh.map((e) => e.id)));
    // …and the Redis stream has them too.
    const { createRedisAuditLog } = await import("../../src/audit/log.js");
    const recent = await createRedisAuditLog(stack.runtime.redis, stack.config.REDIS_PREFIX).recent(200);
    expect(recent.map((e) => e.id)).toEqual(expect.arrayContaining(fresh.map((e) => e.id)));
    // Filters of the audit listing.
    const filtered = (await (
      await api("GET", `/api/audit?day=${today()}&recordingId=${encodeURIComponent(support)}`, tokens.auditor)
    ).json()) as { items: AuditEntry[] };
    expect(filtered.items.length).toBeGreaterThan(0);
    expect(filtered.items.every((e) => e.recordingId === support)).toBe(true);
  });

  it("plays a chunk through a ticketed stream with Range (206, exact bytes), and a read-only SAS URL", async () => {
    const desk2 = recordingOf(calls.desk2);
    const detail = await detailOf(desk2.recordingId);
    const chunk = detail.manifest.chunks[1]!;
    const whole = await archivedBytes(chunk.blob);
    const played = await api("POST", `${path(desk2.recordingId)}/chunks/1/play`, tokens.desk);
    expect(played.status).toBe(200);
    const play = (await played.json()) as {
      url: string;
      expiresAt: string;
      contentType: string;
      sizeBytes: number;
      sasUrl: string;
    };
    expect(play).toMatchObject({ contentType: "audio/wav", sizeBytes: whole.length });
    expect(Date.parse(play.expiresAt) - Date.now()).toBeGreaterThan(200_000);

    const partial = await api("GET", play.url, undefined, undefined, { range: "bytes=100-1099" });
    expect(partial.status).toBe(206);
    expect(partial.headers.get("content-range")).toBe(`bytes 100-1099/${whole.length}`);
    expect(partial.headers.get("accept-ranges")).toBe("bytes");
    expect(partial.headers.get("content-type")).toBe("audio/wav");
    expect(partial.headers.get("content-length")).toBe("1000");
    expect(Buffer.from(await partial.arrayBuffer()).equals(whole.subarray(100, 1100))).toBe(true);

    const suffix = await api("GET", play.url, undefined, undefined, { range: "bytes=-10" });
    expect(suffix.status).toBe(206);
    expect(Buffer.from(await suffix.arrayBuffer()).equals(whole.subarray(whole.length - 10))).toBe(true);
    const full = await api("GET", play.url);
    expect(full.status).toBe(200);
    expect(sha256(Buffer.from(await full.arrayBuffer()))).toBe(chunk.sha256);
    const beyond = await api("GET", play.url, undefined, undefined, { range: `bytes=${whole.length}-` });
    expect(beyond.status).toBe(416);
    expect(beyond.headers.get("content-range")).toBe(`bytes */${whole.length}`);
    const head = await api("HEAD", play.url);
    expect([head.status, head.headers.get("content-length")]).toEqual([200, String(whole.length)]);

    // The ticket is for this chunk, this caller's scope, and not forever.
    expect((await api("GET", play.url.replace("/chunks/1/", "/chunks/0/"))).status).toBe(401);
    const ticketFor = (principal: Parameters<typeof signTicket>[1]["principal"], expiresAt: number) =>
      `${path(desk2.recordingId)}/chunks/1/stream?ticket=${signTicket(TICKET_SECRET, { principal, recordingId: desk2.recordingId, chunk: 1, expiresAt })}`;
    expect((await api("GET", ticketFor({ name: NAMES.desk, role: "team", team: "desk" }, Date.now() - 1))).status).toBe(
      401,
    );
    expect(
      (await api("GET", ticketFor({ name: NAMES.support, role: "team", team: "support" }, Date.now() + 60_000))).status,
    ).toBe(404);
    expect((await api("GET", play.url.replace("ticket=", "ticket=x"))).status).toBe(401);

    // SAS: reads the same bytes straight from storage, and cannot write.
    const sas = await fetch(play.sasUrl);
    expect(sha256(Buffer.from(await sas.arrayBuffer()))).toBe(chunk.sha256);
    const write = await fetch(play.sasUrl, { method: "PUT", headers: { "x-ms-blob-type": "BlockBlob" }, body: "x" });
    expect(write.status).toBe(403);
  });

  it("verifies a recording, and reports a chunk overwritten in storage as a mismatch", async () => {
    const support = recordingOf(calls.support1);
    const intact = (await (await api("POST", `${path(support.recordingId)}/verify`, tokens.support)).json()) as {
      ok: boolean;
      manifest: { ok: boolean; signature: { status: string; keyId: string; summary: string } };
      chunks: { ok: boolean }[];
    };
    // Signed by the worker with the stack's evidence key (the development key: docs/evidence.md "Keys").
    const keyId = loadEvidenceSigner({ NODE_ENV: "test" }, () => undefined).keyId;
    expect(intact).toMatchObject({
      ok: true,
      manifest: { ok: true, signature: { status: "intact", keyId, summary: `signed by key ${keyId}, intact` } },
    });
    expect(intact.chunks.every((c) => c.ok)).toBe(true);

    const out: string[] = [];
    const io = { out: (line: string) => out.push(line), err: (line: string) => out.push(line) };
    const options = { url: stack.webhookUrl, token: tokens.support };
    expect(await verifyCommand(support.recordingId, options, io)).toBe(0);
    expect(out).toContain(`          manifest signed by key ${keyId}, intact`);
    // Reading the recording checks the signature too.
    const read = (await detailOf(support.recordingId)) as unknown as { manifestSignature: unknown };
    expect(read.manifestSignature).toEqual({ status: "intact", keyId, summary: `signed by key ${keyId}, intact` });

    // Tamper with the archive behind the service's back: same size, one byte changed.
    const chunk = (await detailOf(support.recordingId)).manifest.chunks[0]!;
    const bytes = await archivedBytes(chunk.blob);
    bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 0xff;
    await stack.runtime.container.getBlockBlobClient(chunk.blob).upload(bytes, bytes.length);

    const tampered = (await (await api("POST", `${path(support.recordingId)}/verify`, tokens.auditor)).json()) as {
      ok: boolean;
      manifest: { ok: boolean };
      chunks: { ok: boolean; expected: { sha256: string }; actual: { sha256: string }; problems: string[] }[];
    };
    expect(tampered.ok).toBe(false);
    expect(tampered.manifest.ok).toBe(true);
    expect(tampered.chunks[0]).toMatchObject({
      ok: false,
      expected: { sha256: chunk.sha256 },
      actual: { sha256: sha256(bytes) },
    });
    expect(tampered.chunks[0]!.problems).toContain("content SHA-256 differs from the manifest");
    out.length = 0;
    expect(await verifyCommand(support.recordingId, options, io)).toBe(1);
    expect(out.join("\n")).toContain("MISMATCH");
    // The list shows the last verification's outcome: this one failed.
    const listedAfter = (await (await api("GET", "/api/recordings?team=support", tokens.support)).json()) as {
      items: { recordingId: string; integrity: { archive: string; lastVerification: { ok: boolean } | null } }[];
    };
    expect(listedAfter.items.find((r) => r.recordingId === support.recordingId)?.integrity).toMatchObject({
      archive: "verified",
      lastVerification: { ok: false },
    });
    // An export refuses to pass the altered chunk off as evidence: left out, and the bundle says why.
    const created = await api("POST", "/api/exports", tokens.auditor, {
      team: "support",
      from: "2000-01-01T00:00:00Z",
      to: "2100-01-01T00:00:00Z",
      label: "case-tampered",
      format: "folder",
    });
    const { exportId: tamperedExport } = (await created.json()) as { exportId: string };
    const exported = await waitForExport(tamperedExport, tokens.auditor);
    expect(exported.result?.ok).toBe(false);
    expect(exported.result?.problems).toEqual([`${support.recordingId}: chunk 0: SHA-256 differs from the manifest`]);
    const target = stack.runtime.blobService.getContainerClient(stack.config.EXPORT_CONTAINER);
    expect(await target.getBlobClient(`support/${tamperedExport}/recordings/${chunk.blob}`).exists()).toBe(false);
    const custody = JSON.parse(
      (await target.getBlobClient(`support/${tamperedExport}/chain-of-custody.json`).downloadToBuffer()).toString(
        "utf8",
      ),
    ) as { ok: boolean; what: { label: string } };
    expect(custody.ok).toBe(false);
    expect(custody.what.label).toBe("case-tampered");
    // A download checks the same, and says so.
    const downloads = await mkdtemp(join(tmpdir(), "download-"));
    try {
      expect(await downloadCommand(support.recordingId, { ...options, out: downloads }, io)).toBe(1);
    } finally {
      await rm(downloads, { recursive: true, force: true });
    }
  });

  it("exports N recordings with hashes and a chain of custody that verify against the manifests (CLI with progress)", async () => {
    // The audit chain's head before the export is asked for: the checkpoint taken at the export must go beyond it.
    const auditBefore = (await chainLogs(stack.runtime.redis, stack.config.REDIS_PREFIX).audit.head())?.seq ?? 0;
    const out: string[] = [];
    const io = { out: (line: string) => out.push(line), err: (line: string) => out.push(line) };
    const code = await exportCommand(
      {
        url: stack.webhookUrl,
        token: tokens.desk,
        from: "2000-01-01T00:00:00Z",
        to: "2100-01-01T00:00:00Z",
        label: "case-1",
        format: "folder",
        intervalMs: 100,
      },
      io,
    );
    expect({ code, out }).toMatchObject({ code: 0 });
    // Every export in its own folder: <team>/<export id>.
    const folder = /3 recording\(s\) → exports\/(desk\/[0-9a-f-]{36})$/m.exec(out.join("\n"))?.[1];
    expect(folder).toBeDefined();
    expect(out.at(-1)).toBe("export complete and verified");
    // Every export is covered by a signed checkpoint taken when it ran (docs/evidence.md), which covers its request.
    const checkpoint = await latestCheckpoint(stack.runtime.container, "audit");
    expect(checkpoint?.checkpoint.seq).toBeGreaterThan(auditBefore);

    // Check the bundle independently of the exporter: every file against the archived manifests.
    const target = stack.runtime.blobService.getContainerClient(stack.config.EXPORT_CONTAINER);
    const read = async (name: string) => target.getBlockBlobClient(`${folder}/${name}`).downloadToBuffer();
    const custody = JSON.parse((await read("chain-of-custody.json")).toString("utf8")) as {
      ok: boolean;
      requestedBy: { name: string };
      recordings: {
        recordingId: string;
        ok: boolean;
        files: { path: string; ok: boolean }[];
        people: { id: string; displayName: string | null }[];
      }[];
    };
    expect(custody).toMatchObject({ ok: true, requestedBy: { name: NAMES.desk } });
    // Who was on each call, by the names the directory had at the time of the export.
    for (const exported of custody.recordings) {
      expect(exported.people.map((p) => p.displayName).sort()).toEqual(["Alice Smith", "Bob Okafor"]);
    }
    const desk = recordings.filter((r) => r.team === "desk");
    expect(custody.recordings.map((r) => r.recordingId).sort()).toEqual(desk.map((r) => r.recordingId).sort());
    for (const recording of desk) {
      const detail = await detailOf(recording.recordingId);
      const manifestPath = `recordings/${detail.manifest.chunks[0]!.blob.replace(/chunk-[^/]+$/, "manifest.json")}`;
      const exportedManifest = await read(manifestPath);
      expect(sha256(exportedManifest)).toBe(detail.manifestSha256);
      const manifest = JSON.parse(exportedManifest.toString("utf8")) as Detail["manifest"];
      for (const chunk of manifest.chunks) {
        const exported = await read(`recordings/${chunk.blob}`);
        expect({ blob: chunk.blob, sha256: sha256(exported), size: exported.length }).toEqual({
          blob: chunk.blob,
          sha256: chunk.sha256,
          size: chunk.sizeBytes,
        });
      }
    }
    const sums = (await read("SHA256SUMS")).toString("utf8").trim().split("\n");
    expect(sums.length).toBe(desk.reduce((n, r) => n + 1 + 2 * r.chunkCount, 0));
    for (const line of sums) {
      const [hash, name] = line.split("  ") as [string, string];
      expect(sha256(await read(name))).toBe(hash);
    }
  });

  it("exports a zip bundle (the default) and verifies it offline, in a process without Redis, Blob or network settings", async () => {
    const out: string[] = [];
    const io = { out: (line: string) => out.push(line), err: (line: string) => out.push(line) };
    const code = await exportCommand(
      {
        url: stack.webhookUrl,
        token: tokens.desk,
        from: "2000-01-01T00:00:00Z",
        to: "2100-01-01T00:00:00Z",
        label: "case-zip",
        intervalMs: 100,
      },
      io,
    );
    expect({ code, out }).toMatchObject({ code: 0 });
    const name = /^bundle: (desk\/[0-9a-f-]{36}\/[0-9a-f-]{36}\.zip) /m.exec(out.join("\n"))?.[1];
    expect(name).toBeDefined();
    expect(out.at(-1)).toBe("export complete and verified");
    const target = stack.runtime.blobService.getContainerClient(stack.config.EXPORT_CONTAINER);
    const dir = await mkdtemp(join(tmpdir(), "bundle-"));
    try {
      const file = join(dir, "bundle.zip");
      await target.getBlobClient(name!).downloadToFile(file);
      const publicKey = join(dir, "evidence-public.pem");
      await writeFile(publicKey, loadEvidenceSigner({ NODE_ENV: "test" }, () => undefined).publicKeyPem);
      // The command as a regulator runs it: its own process, with nothing of the service's environment.
      const run = await promisify(execFile)(
        process.execPath,
        ["--import", "tsx", "src/cli/main.ts", "bundle", "verify", file, "--public-key", publicKey],
        { env: { PATH: process.env.PATH ?? "" } },
      );
      expect(run.stdout).toContain("bundle verified: every byte and signature checks");
      expect(run.stdout).toMatch(/verified {2}ledger checkpoint of seq \d+ .* valid; ledger slice consistent with it/);
      expect(run.stdout).toContain("3 recordings' chunks and metadata documents checked against their manifests");
      // One byte of a chunk changed: named, exit 1.
      const bytes = await readFile(file);
      // Its chain of custody (stored, not deflated, and covered by the seal just verified) names who was on each call.
      const custodyAt = bytes.indexOf(Buffer.from('"exportId"'));
      expect(custodyAt).toBeGreaterThan(0);
      expect(bytes.includes(Buffer.from('"displayName": "Alice Smith"'), custodyAt)).toBe(true);
      expect(bytes.includes(Buffer.from('"displayName": "Bob Okafor"'), custodyAt)).toBe(true);
      const at = bytes.indexOf(Buffer.from("RIFF")) + 100;
      bytes[at] = bytes[at]! ^ 0xff;
      await writeFile(file, bytes);
      const lines: string[] = [];
      const failed = await bundleVerifyCommand(
        file,
        { publicKey },
        { out: (line) => lines.push(line), err: (line) => lines.push(line) },
      );
      expect(failed).toBe(1);
      expect(lines.join("\n")).toMatch(/FAILED {4}recordings\/.*\.wav: its content was altered/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("resumes an interrupted export: what was copied and verified is skipped", async () => {
    const desk = recordings.filter((r) => r.team === "desk");
    // Block the second recording's first chunk in the target (a lease: writes without it fail) until released.
    const second = await detailOf(desk[1]!.recordingId);
    const target = stack.runtime.blobService.getContainerClient(stack.config.EXPORT_CONTAINER);
    await target.createIfNotExists();
    // The export's folder is known once it is requested: the queue waits meanwhile (a global pause).
    const exportQueue = stack.runtime.queues.all().find((queue) => queue.name === QueueName.export)!;
    await exportQueue.pause();
    let exportId: string;
    let folder: string;
    let blocked: BlockBlobClient;
    let lease: BlobLeaseClient;
    try {
      const created = await api("POST", "/api/exports", tokens.auditor, {
        team: "desk",
        from: "2000-01-01T00:00:00Z",
        to: "2100-01-01T00:00:00Z",
        label: "case-2",
        format: "folder",
      });
      expect(created.status).toBe(202);
      ({
        exportId,
        target: { folder },
      } = (await created.json()) as { exportId: string; target: { folder: string } });
      // The chunk's right bytes are there already (as if an attempt died before marking them verified), held by
      // a lease: the export keeps them, but cannot mark them until the lease is released.
      const chunkBlob = second.manifest.chunks[0]!.blob;
      blocked = target.getBlockBlobClient(`${folder}/recordings/${chunkBlob}`);
      const right = await archivedBytes(chunkBlob);
      await blocked.upload(right, right.length);
      lease = blocked.getBlobLeaseClient();
      await lease.acquireLease(-1);
    } finally {
      await exportQueue.resume();
    }
    const interrupted = await eventually(
      async () => {
        const status = (await (await api("GET", `/api/exports/${exportId}`, tokens.auditor)).json()) as {
          attempts: number;
          failedReason?: string;
          progress: { recordingsDone: number } | null;
        };
        return status.attempts >= 1 ? status : undefined;
      },
      20_000,
      "the first attempt to fail",
    );
    expect(interrupted.failedReason).toBeTruthy();
    expect(interrupted.progress?.recordingsDone).toBe(1);
    await lease.releaseLease();

    const done = await waitForExport(exportId, tokens.auditor);
    const firstFiles = 1 + 2 * desk[0]!.chunkCount;
    expect(done.result?.ok).toBe(true);
    // The first recording and the second's manifest were verified before the interruption; the blocked chunk was
    // found there, right, and kept.
    expect(done.result?.filesSkipped).toBe(firstFiles + 2);
    expect(done.result?.filesCopied).toBe(desk.reduce((n, r) => n + 1 + 2 * r.chunkCount, 0) - firstFiles - 2);
    const custody = JSON.parse(
      (await target.getBlockBlobClient(`${folder}/chain-of-custody.json`).downloadToBuffer()).toString("utf8"),
    ) as { attempts: number; ok: boolean; recordings: { files: { copiedBy: string }[] }[] };
    expect(custody.ok).toBe(true);
    expect(custody.attempts).toBeGreaterThanOrEqual(2);
    expect(custody.recordings[0]!.files.every((f) => f.copiedBy === "earlier attempt")).toBe(true);
    expect(sha256(await blocked.downloadToBuffer())).toBe(second.manifest.chunks[0]!.sha256);
  });

  it("lists and downloads from the command line, checking every file's hash", async () => {
    const out: string[] = [];
    const io = { out: (line: string) => out.push(line), err: (line: string) => out.push(line) };
    const options = { url: stack.webhookUrl, token: tokens.desk };
    expect(await listCommand({ ...options, json: true, all: true, limit: "2" }, io)).toBe(0);
    expect(out.map((line) => (JSON.parse(line) as Item).team)).toEqual(["desk", "desk", "desk"]);
    out.length = 0;
    expect(await listCommand({ ...options, search: "bob" }, io)).toBe(0);
    expect(out[0]).toMatch(/PEOPLE$/);
    expect(out.slice(1, 4).every((line) => /(Alice Smith, Bob Okafor|Bob Okafor, Alice Smith)$/.test(line))).toBe(true);

    const desk2 = recordingOf(calls.desk2);
    const downloads = await mkdtemp(join(tmpdir(), "download-"));
    try {
      out.length = 0;
      expect(await downloadCommand(desk2.recordingId, { ...options, out: downloads }, io)).toBe(0);
      const [folder] = await readdir(downloads);
      const files = (await readdir(join(downloads, folder!))).sort();
      expect(files).toEqual(["chunk-0000.wav", "chunk-0001.wav", "manifest.json"]);
      const detail = await detailOf(desk2.recordingId);
      for (const chunk of detail.chunks) {
        const bytes = await readFile(join(downloads, folder!, `chunk-000${chunk.index}.wav`));
        expect(sha256(bytes)).toBe(chunk.sha256);
      }
      expect(out.filter((line) => line.startsWith("ok"))).toHaveLength(2);
    } finally {
      await rm(downloads, { recursive: true, force: true });
    }
  });
});
