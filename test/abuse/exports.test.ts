// Exports (issue 15, findings 2 and 4): every export in a folder of its own, `<team>/<export id>`, written without
// ever replacing a blob; and the export worker runs only the jobs the API queued, as it queued them.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../../src/log.js";
import { exportRecordings, type ExportPayload } from "../../src/queues/index.js";
import { createWorkerDependencies, type WorkerDependencies } from "../../workers/dependencies.js";
import { exportRecordingsJob } from "../../workers/jobs/retrieval/export-recordings.js";
import { runJob } from "../support/run-job.js";
import { startHarness, TOKENS, type Harness } from "./harness.js";

let h: Harness;
let worker: WorkerDependencies;
beforeAll(async () => {
  h = await startHarness({ RATE_LIMIT_PER_ADDRESS: "0", RATE_LIMIT_PER_TOKEN: "0" });
  worker = createWorkerDependencies(h.config, h.runtime, createLogger("silent", "abuse"));
  await h.seedRecording("trading-desk");
  await h.seedRecording("legal");
});
afterAll(async () => {
  await h?.stop();
});

// Folders: the checks below are of the folder layout (a zip export is one blob; docs/evidence.md "Bundles").
const selection = { from: "2000-01-01T00:00:00Z", to: "2100-01-01T00:00:00Z", format: "folder" };
const exports = () => h.runtime.blobService.getContainerClient(h.config.EXPORT_CONTAINER);
async function requestExport(token: string, body: object = selection) {
  const response = await h.fetch("/api/exports", {
    method: "POST",
    token,
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return {
    status: response.status,
    body: (await response.json()) as { exportId: string; target: ExportPayload["target"] },
  };
}
async function queued(exportId: string): Promise<ExportPayload> {
  const job = await h.runtime.queues.getJob(exportRecordings, exportId);
  if (!job) throw new Error(`no job ${exportId}`);
  return job.data;
}
async function blobNames(prefix: string, container = exports()) {
  const names: string[] = [];
  if (!(await container.exists())) return names;
  for await (const blob of container.listBlobsFlat({ prefix })) names.push(blob.name);
  return names;
}

describe("export folders", () => {
  it("names every export's folder <team>/<export id>; a folder in the request is refused", async () => {
    const desk = await requestExport(TOKENS.desk);
    expect(desk.status).toBe(202);
    expect(desk.body.target).toEqual({ container: "exports", folder: `trading-desk/${desk.body.exportId}` });
    const auditor = await requestExport(TOKENS.auditor);
    expect(auditor.body.target.folder).toBe(`_all-teams/${auditor.body.exportId}`);
    expect((await requestExport(TOKENS.desk, { ...selection, folder: "legal/case-42" })).status).toBe(400);
  });

  it("never replaces a blob already in the folder: the export refuses rather than overwrite", async () => {
    const { body } = await requestExport(TOKENS.desk);
    const payload = await queued(body.exportId);
    const planted = exports().getBlockBlobClient(`${payload.target.folder}/SHA256SUMS`);
    await exports().createIfNotExists();
    await planted.upload("planted", 7);
    await expect(runJob(exportRecordingsJob, worker, payload)).rejects.toThrow(/already/);
    expect((await planted.downloadToBuffer()).toString()).toBe("planted");
  });

  it("keeps a file already at a chunk's place: counted if it is the right one, reported (not replaced) if not", async () => {
    const { body } = await requestExport(TOKENS.desk);
    const payload = await queued(body.exportId);
    const folder = payload.target.folder;
    const [recordingId] = payload.recordingIds;
    const manifestBlob = (await h.runtime.redis.get(`${h.prefix}:rec:{${recordingId}}`))!.match(
      /"manifestBlob":"([^"]+)"/,
    )![1]!;
    const chunk = (n: number) => manifestBlob.replace("manifest.json", `chunk-000${n}.wav`);
    const right = await h.runtime.container.getBlobClient(chunk(0)).downloadToBuffer();
    await exports()
      .getBlockBlobClient(`${folder}/recordings/${chunk(0)}`)
      .upload(right, right.length);
    const wrong = exports().getBlockBlobClient(`${folder}/recordings/${chunk(1)}`);
    await wrong.upload("planted", 7);
    const result = await runJob(exportRecordingsJob, worker, payload);
    expect(result.ok).toBe(false);
    expect(result.problems).toEqual([
      `${recordingId}: chunk 1: a different file is already at its place in the export folder (not overwritten)`,
    ]);
    expect((await wrong.downloadToBuffer()).toString()).toBe("planted");
    expect(result.filesSkipped).toBe(1); // the right one, found there
  });

  it("runs the export the API queued, into its folder", async () => {
    const { body } = await requestExport(TOKENS.desk);
    const result = await runJob(exportRecordingsJob, worker, await queued(body.exportId));
    expect(result).toMatchObject({ ok: true, recordings: 1 });
    const names = await blobNames(`trading-desk/${body.exportId}/`);
    expect(names).toContain(`trading-desk/${body.exportId}/chain-of-custody.json`);
    expect(names.filter((n) => n.endsWith(".wav"))).toHaveLength(2);
  });

  it("writes a zip export as one blob in its folder, and never over a blob already there", async () => {
    const { body } = await requestExport(TOKENS.desk, { ...selection, format: "zip" });
    const result = await runJob(exportRecordingsJob, worker, await queued(body.exportId));
    expect(result).toMatchObject({
      ok: true,
      recordings: 1,
      bundle: `trading-desk/${body.exportId}/${body.exportId}.zip`,
    });
    expect(await blobNames(`trading-desk/${body.exportId}/`)).toEqual([
      `trading-desk/${body.exportId}/${body.exportId}.zip`,
    ]);
    // A blob planted where the bundle goes is not replaced, nor passed off as a verified bundle.
    const planted = await requestExport(TOKENS.desk, { ...selection, format: "zip" });
    const name = `trading-desk/${planted.body.exportId}/${planted.body.exportId}.zip`;
    await exports().getBlockBlobClient(name).upload("planted", 7);
    const refused = await runJob(exportRecordingsJob, worker, await queued(planted.body.exportId));
    expect(refused.ok).toBe(false);
    expect(refused.problems[0]).toMatch(/written by an earlier attempt whose result was not recorded/);
    expect((await exports().getBlobClient(name).downloadToBuffer()).toString()).toBe("planted");
  });
});

describe("the export worker", () => {
  const variants: [string, (payload: ExportPayload) => ExportPayload][] = [
    ["a container of the attacker's choice", (p) => ({ ...p, target: { ...p.target, container: "attacker" } })],
    ["another folder", (p) => ({ ...p, target: { ...p.target, folder: "legal/case-42" } })],
    ["a requester the request did not carry", (p) => ({ ...p, requestedBy: { name: "auditor", role: "auditor" } })],
    [
      "a job the API never queued",
      (p) => {
        const exportId = randomUUID();
        return { ...p, exportId, target: { ...p.target, folder: `trading-desk/${exportId}` } };
      },
    ],
    ["another selection", (p) => ({ ...p, recordingIds: [...p.recordingIds, "legal-recording"] })],
    ["another format", (p) => ({ ...p, format: p.format === "zip" ? "folder" : "zip" })],
  ];

  it.each(variants)("refuses a job with %s, and writes nothing", async (_what, change) => {
    const { body } = await requestExport(TOKENS.desk);
    const forged = change(await queued(body.exportId));
    const before = [
      ...(await blobNames("")),
      ...(await blobNames("", h.runtime.blobService.getContainerClient("attacker"))),
    ];
    await expect(runJob(exportRecordingsJob, worker, forged)).rejects.toThrow(/refused/);
    const after = [
      ...(await blobNames("")),
      ...(await blobNames("", h.runtime.blobService.getContainerClient("attacker"))),
    ];
    expect(after).toEqual(before);
  });
});
