import { createHash } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import {
  AssignRefused,
  assignRecording,
  type AssignRequest,
  type AssignStores,
  safeSegment,
} from "../archive/index.js";
import type { Output } from "./policy-commands.js";
import { fetchOrExplain } from "./reach.js";

// `recorder recordings list | get | download | verify | export`: the recordings API (docs/recordings-api.md)
// from the command line. Each returns the process exit code.

export interface ApiOptions {
  url: string;
  token?: string | undefined;
}

export interface ListOptions extends ApiOptions {
  team?: string;
  from?: string;
  to?: string;
  participant?: string;
  /** A name, e-mail, employee id or phone number, read in the team's directory (docs/directory.md "Search"). */
  search?: string;
  serverCallId?: string;
  minDuration?: string;
  maxDuration?: string;
  outcome?: string;
  limit?: string;
  /** Follow `nextCursor` to the end. */
  all?: boolean;
  json?: boolean;
}

export interface ExportOptions extends ApiOptions {
  team?: string;
  from?: string;
  to?: string;
  participant?: string;
  serverCallId?: string;
  outcome?: string;
  /** A case reference kept in the chain of custody (the export's folder is always <team>/<export id>). */
  label?: string;
  /** zip (default: one bundle file, docs/evidence.md "Bundles") or folder. */
  format?: string;
  /** Follow an export already requested instead of requesting one. */
  watch?: string;
  /** How often progress is polled. */
  intervalMs?: number;
}

interface Summary {
  recordingId: string;
  serverCallId: string;
  team: string;
  startedAt: string;
  durationSeconds: number;
  participants: string[];
  /** The participants with their directory names (null when the directory has none); older servers send none. */
  people?: { id: string; displayName: string | null }[];
  outcome: string | null;
  ruleId: string | null;
  chunkCount: number;
  totalBytes: number;
  /** The team's own container the bytes were sealed in (docs/byos.md); absent: the archive. */
  customerStorage?: string;
}

/** Who was on a recording, by name where the directory has one, by id otherwise (`Alice Smith, +14155550100`). */
export function peopleCell(r: Pick<Summary, "participants" | "people">): string {
  if (!r.people) return r.participants.join(",");
  return r.people.map((p) => p.displayName ?? p.id.replace(/^4:/, "")).join(", ");
}

interface Chunk {
  index: number;
  sizeBytes: number;
  sha256: string;
  contentType: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

/** A small client of the recordings API: JSON in and out, non-2xx answers thrown as ApiError. */
export function apiClient(options: ApiOptions) {
  const token = options.token ?? process.env.RECORDER_TOKEN;
  if (!token) throw new Error("an API token is needed: --token TOKEN, or RECORDER_TOKEN in the environment");
  const base = options.url.replace(/\/$/, "");
  const headers = { authorization: `Bearer ${token}` };
  const call = async (method: string, path: string, body?: unknown): Promise<Response> => {
    const response = await fetchOrExplain(
      `${base}${path}`,
      {
        method,
        headers: body === undefined ? headers : { ...headers, "content-type": "application/json" },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      },
      "the recorder",
    );
    if (!response.ok) {
      const text = await response.text();
      let reason = text;
      try {
        reason = (JSON.parse(text) as { error?: string }).error ?? text;
      } catch {
        // not JSON: the text as it is
      }
      throw new ApiError(response.status, `HTTP ${response.status}: ${reason}`);
    }
    return response;
  };
  return {
    json: async <T>(method: string, path: string, body?: unknown) =>
      (await (await call(method, path, body)).json()) as T,
    raw: call,
  };
}

const recordingPath = (recordingId: string) => `/api/recordings/${encodeURIComponent(recordingId)}`;
const megabytes = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;

const LIST_COLUMNS = [
  "STARTED",
  "TEAM",
  "DURATION",
  "CHUNKS",
  "SIZE",
  "OUTCOME",
  "RULE",
  "RECORDING",
  "CALL",
  "STORED",
  "PEOPLE",
];

const listRow = (r: Summary): string[] => [
  r.startedAt,
  r.team,
  `${r.durationSeconds.toFixed(1)}s`,
  String(r.chunkCount),
  megabytes(r.totalBytes),
  r.outcome ?? "-",
  r.ruleId ?? "-",
  r.recordingId,
  r.serverCallId,
  r.customerStorage ?? "archive",
  peopleCell(r),
];

/** Rows under column headers, each column as wide as its widest cell (the last one left ragged). */
export function table(headers: string[], rows: string[][], withHeaders = true): string[] {
  const all = withHeaders ? [headers, ...rows] : rows;
  if (rows.length === 0) return [];
  const widths = headers.map((_, i) => Math.max(...all.map((row) => (row[i] ?? "").length)));
  return all.map((row) =>
    row
      .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join("  ")
      .trimEnd(),
  );
}

export async function listCommand(options: ListOptions, io: Output): Promise<number> {
  const api = apiClient(options);
  const query = new URLSearchParams();
  const params: [string, string | undefined][] = [
    ["team", options.team],
    ["from", options.from],
    ["to", options.to],
    ["participant", options.participant],
    ["q", options.search],
    ["serverCallId", options.serverCallId],
    ["minDurationSeconds", options.minDuration],
    ["maxDurationSeconds", options.maxDuration],
    ["outcome", options.outcome],
    ["limit", options.limit],
  ];
  for (const [name, value] of params) if (value !== undefined) query.set(name, value);
  let cursor: string | null = null;
  let count = 0;
  do {
    if (cursor) query.set("cursor", cursor);
    const page: { items: Summary[]; nextCursor: string | null } = await api.json("GET", `/api/recordings?${query}`);
    if (options.json) for (const r of page.items) io.out(JSON.stringify(r));
    // A table per page, headed on the first (a page's rows are aligned among themselves).
    else for (const line of table(LIST_COLUMNS, page.items.map(listRow), count === 0)) io.out(line);
    count += page.items.length;
    cursor = page.nextCursor;
  } while (cursor && options.all);
  if (!options.json) io.err(cursor ? `${count} shown; more: --all` : `${count} recording(s)`);
  return 0;
}

export async function getCommand(recordingId: string, options: ApiOptions, io: Output): Promise<number> {
  const detail = await apiClient(options).json<unknown>("GET", recordingPath(recordingId));
  io.out(JSON.stringify(detail, null, 2));
  return 0;
}

/**
 * Downloads every chunk (through the audited stream) into `<out>/<recording>/`, with the manifest as the API
 * returns it, and checks each file's SHA-256 and size against the manifest. Exit 1 on any mismatch.
 */
export async function downloadCommand(
  recordingId: string,
  options: ApiOptions & { out: string },
  io: Output,
): Promise<number> {
  const api = apiClient(options);
  const detail = await api.json<{ manifest: unknown; manifestIntact: boolean; chunks: Chunk[] }>(
    "GET",
    recordingPath(recordingId),
  );
  const folder = join(options.out, safeSegment(recordingId));
  await mkdir(folder, { recursive: true });
  await writeFile(join(folder, "manifest.json"), `${JSON.stringify(detail.manifest, null, 2)}\n`);
  let ok = detail.manifestIntact;
  if (!detail.manifestIntact) io.err("the archived manifest no longer matches the hash recorded when it was archived");
  for (const chunk of detail.chunks) {
    const extension = chunk.contentType.includes("mpeg") ? "mp3" : chunk.contentType.includes("mp4") ? "mp4" : "wav";
    const file = join(folder, `chunk-${String(chunk.index).padStart(4, "0")}.${extension}`);
    const response = await api.raw("GET", `${recordingPath(recordingId)}/chunks/${chunk.index}/stream?download=1`);
    const hash = createHash("sha256");
    let size = 0;
    const body = Readable.fromWeb(response.body as WebReadableStream<Uint8Array>);
    body.on("data", (piece: Buffer) => {
      hash.update(piece);
      size += piece.length;
    });
    await pipeline(body, createWriteStream(file));
    const sha256 = hash.digest("hex");
    const matches = sha256 === chunk.sha256 && size === chunk.sizeBytes;
    ok &&= matches;
    io.out(`${matches ? "ok      " : "MISMATCH"}  ${file}  ${size} bytes  sha256 ${sha256}`);
    if (!matches) io.err(`  expected ${chunk.sizeBytes} bytes, sha256 ${chunk.sha256}`);
  }
  return ok ? 0 : 1;
}

export async function verifyCommand(
  recordingId: string,
  options: ApiOptions & { json?: boolean },
  io: Output,
): Promise<number> {
  const report = await apiClient(options).json<{
    ok: boolean;
    manifest: {
      blob: string;
      ok: boolean;
      problems: string[];
      /** Absent from a server older than signed manifests. */
      signature?: { status: string; summary: string } | null;
    };
    chunks: { index: number; blob: string; ok: boolean; problems: string[] }[];
  }>("POST", `${recordingPath(recordingId)}/verify`);
  if (options.json) io.out(JSON.stringify(report));
  else {
    io.out(`${report.manifest.ok ? "ok      " : "MISMATCH"}  ${report.manifest.blob}`);
    for (const problem of report.manifest.problems) io.out(`          ${problem}`);
    // docs/evidence.md "Signed manifests": intact, unsigned (written before signing), or what does not match.
    const signature = report.manifest.signature;
    if (signature && signature.status !== "invalid") io.out(`          manifest ${signature.summary}`);
    for (const chunk of report.chunks) {
      io.out(`${chunk.ok ? "ok      " : "MISMATCH"}  ${chunk.blob}`);
      for (const problem of chunk.problems) io.out(`          ${problem}`);
    }
    io.out(report.ok ? "recording intact" : "recording NOT intact");
  }
  return report.ok ? 0 : 1;
}

interface ExportStatus {
  state: string;
  attempts: number;
  progress: {
    recordingsDone: number;
    recordingsTotal: number;
    filesCopied: number;
    filesSkipped: number;
    bytesCopied: number;
  } | null;
  result?: { ok: boolean; chainOfCustody: string; sha256sums: string; bundle?: string; problems: string[] };
  failedReason?: string;
}

/** Requests an export (or follows one with --watch) and prints its progress until it ends. */
export async function exportCommand(options: ExportOptions, io: Output): Promise<number> {
  const api = apiClient(options);
  let exportId = options.watch;
  if (!exportId) {
    if (!options.from || !options.to) throw new Error("--from and --to are needed (or --watch EXPORT_ID)");
    const selection = Object.fromEntries(
      Object.entries({
        team: options.team,
        from: options.from,
        to: options.to,
        participant: options.participant,
        serverCallId: options.serverCallId,
        outcome: options.outcome,
        label: options.label,
        format: options.format,
      }).filter(([, value]) => value !== undefined),
    );
    const created = await api.json<{
      exportId: string;
      recordings: number;
      target: { container: string; folder: string };
    }>("POST", "/api/exports", selection);
    exportId = created.exportId;
    io.out(
      `export ${exportId}: ${created.recordings} recording(s) → ${created.target.container}/${created.target.folder}`,
    );
  }
  let last = "";
  for (;;) {
    const status = await api.json<ExportStatus>("GET", `/api/exports/${encodeURIComponent(exportId)}`);
    const p = status.progress;
    const line = [
      status.state,
      p ? `${p.recordingsDone}/${p.recordingsTotal} recordings` : "",
      p ? `${p.filesCopied} files copied, ${p.filesSkipped} already there` : "",
      p ? megabytes(p.bytesCopied) : "",
      status.state !== "completed" && status.failedReason
        ? `attempt ${status.attempts} interrupted (${status.failedReason}); resuming`
        : "",
    ]
      .filter((part) => part !== "")
      .join("  ");
    if (line !== last) io.out(line);
    last = line;
    if (status.state === "completed" && status.result) {
      if (status.result.bundle)
        io.out(`bundle: ${status.result.bundle} (check it offline: recorder bundle verify FILE --public-key KEY)`);
      else io.out(`chain of custody: ${status.result.chainOfCustody}; hashes: ${status.result.sha256sums}`);
      for (const problem of status.result.problems) io.err(`NOT VERIFIED  ${problem}`);
      io.out(status.result.ok ? "export complete and verified" : "export complete, but NOT every file verified");
      return status.result.ok ? 0 : 1;
    }
    if (status.state === "failed") {
      io.err(`export failed: ${status.failedReason ?? "unknown reason"} (recorder jobs retry ${exportId} resumes it)`);
      return 1;
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 1000));
  }
}

/** Rebuilds the listing index from the manifests in Blob (recordings archived before the index existed). */
export async function reindexCommand(
  stores: {
    manifests: AsyncIterable<string>;
    index: (manifestBlob: string) => Promise<{ recordingId: string } | undefined>;
  },
  io: Output,
): Promise<number> {
  let indexed = 0;
  let unreadable = 0;
  for await (const manifestBlob of stores.manifests) {
    const recording = await stores.index(manifestBlob);
    if (recording) indexed++;
    else {
      unreadable++;
      io.err(`not a readable manifest: ${manifestBlob}`);
    }
  }
  io.out(`${indexed} recording(s) indexed${unreadable ? `, ${unreadable} manifest(s) unreadable` : ""}`);
  return unreadable ? 1 : 0;
}

/**
 * Assigns a quarantined recording to its call (src/archive/assign.ts): exit 0 once it is copied, verified,
 * protected, listed and in the ledger; 1 when refused (said why) or failed.
 */
export async function assignCommand(stores: AssignStores, request: AssignRequest, io: Output): Promise<number> {
  try {
    const result = await assignRecording(stores, request);
    if (result.already) {
      io.out(`already assigned to ${request.serverCallId}: ${result.manifest}`);
      return 0;
    }
    io.out(
      `assigned to ${request.serverCallId}, team ${result.teamId}: ${result.chunks} chunk(s) copied and verified, ` +
        `retained until ${result.retainUntil ?? "(no date)"}${result.legalHold ? ", legal hold" : ""}`,
    );
    io.out(`manifest: ${result.manifest}`);
    io.out("the quarantine copy stays, under its own protection, until that expires (docs/archive.md)");
    return 0;
  } catch (error) {
    io.err(error instanceof AssignRefused ? `refused: ${error.message}` : `failed: ${(error as Error).message}`);
    return 1;
  }
}
