/**
 * `npm run bench -- byos-seal` (docs/byos.md "Performance"): sealing a 1 GiB chunk where ACS wrote it (one read
 * with SHA-256, size and format checks, labels, the metadata document, a signed manifest: bench/byos-seal-child.ts
 * `seal`) against a plain read of the same blob (`read`: bytes counted, nothing else), in the same run, against a
 * private Azurite. Each side runs in a process of its own (its peak RSS its own), with the deployed worker's Node
 * flags (WORKER_NODE_FLAGS: the seal runs in the ingest worker), alternating which goes first;
 * the figure is the MEDIAN over rounds of read seconds / seal seconds. Targets: ratio ≥ 0.9, seal peak RSS ≤ 150 MB.
 */
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { BlobServiceClient } from "@azure/storage-blob";
import { z } from "zod";
import { projectRoot, WORKER_NODE_FLAGS } from "../scripts/local-stack/processes.js";
import { startAzurite } from "../scripts/local-stack/services.js";
import { wavBytes, wavSize } from "../simulator/wav.js";
import { compileBenchScript } from "./compile.js";
import { writeResult, type BenchContext } from "./result.js";

const GIB = 1024 * 1024 * 1024;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const measured = z.object({
  bytes: z.number(),
  seconds: z.number(),
  baselineRssBytes: z.number(),
  contentSeconds: z.number().optional(),
  peakRssBytes: z.number(),
  cpuSeconds: z.number(),
  sha256: z.string().optional(),
});
type Measured = z.infer<typeof measured>;

/** CPU seconds (user + system) a process has used so far, from /proc (Linux); 0 elsewhere. */
async function cpuSecondsOf(pid: number | undefined): Promise<number> {
  try {
    const fields = (await readFile(`/proc/${pid}/stat`, "utf8")).split(") ")[1]!.split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return 0;
  }
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

function child(script: string, input: Record<string, string>): Promise<Measured> {
  return new Promise((resolve, reject) => {
    const process_ = spawn(process.execPath, [...WORKER_NODE_FLAGS, script], {
      cwd: projectRoot,
      env: { ...process.env, NODE_ENV: "production", BENCH_INPUT: JSON.stringify(input) },
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    process_.stdout.on("data", (data: Buffer) => (out += data.toString()));
    process_.once("exit", (code) => {
      if (code !== 0) return reject(new Error(`byos-seal ${input.mode} exited with ${code}`));
      try {
        resolve(measured.parse(JSON.parse(out.trim().split("\n").at(-1) ?? "")));
      } catch (error) {
        reject(error as Error);
      }
    });
  });
}

export async function runByosSealBench(context: BenchContext): Promise<void> {
  const location = await mkdtemp(join(tmpdir(), "bench-byos-"));
  // Compiled first: both sides run as production runs (bench/compile.ts).
  const script = await compileBenchScript("byos-seal-child");
  const azurite = await startAzurite(location);
  try {
    const service = BlobServiceClient.fromConnectionString(azurite.connectionString);
    const customer = service.getContainerClient("customer");
    const archive = service.getContainerClient("archive");
    await customer.createIfNotExists();
    await archive.createIfNotExists();
    // One mixed mono 16 kHz WAV chunk of 1 GiB, named as ACS names it in a customer's container (docs/byos.md).
    const spec = { layout: { speakers: 2, channels: [[0, 1]] }, frames: (GIB - 44) / 2, shiftFrames: 0 };
    const folder = "20261204/bench-call-id/eyJQbGF0-00000000-0000-4000-8000-000000000000";
    const content = `${folder}/0-audiowav.bench-doc.wav`;
    const metadata = `${folder}/0-acsmetadata.bench-doc.json`;
    context.say(`byos-seal: writing a ${(wavSize(spec) / GIB).toFixed(2)} GiB chunk into Azurite…`);
    await customer
      .getBlockBlobClient(content)
      .uploadStream(Readable.from(wavBytes(spec, 0, wavSize(spec))), 8 * 1024 * 1024, 4);
    const document = JSON.stringify({ chunkDocumentId: "bench-doc", chunkDuration: 33_554_000, participants: [] });
    await customer.getBlockBlobClient(metadata).upload(document, Buffer.byteLength(document));
    const base = {
      connectionString: azurite.connectionString,
      customerContainer: "customer",
      archiveContainer: "archive",
      content,
      metadata,
    };
    const rounds: {
      read: Measured & { serverCpuSeconds: number };
      seal: Measured & { serverCpuSeconds: number };
      ratio: number;
    }[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      // Each seal starts from an unsealed blob, as ACS leaves it.
      await customer.getBlobClient(content).setMetadata({});
      await customer.getBlobClient(metadata).setMetadata({});
      // Azurite's CPU during each side: with the child's own, where the 2 cores go (docs/byos.md "Performance").
      const withServerCpu = async (run: () => Promise<Measured>) => {
        const before = await cpuSecondsOf(azurite.process.pid);
        const result = await run();
        return { ...result, serverCpuSeconds: (await cpuSecondsOf(azurite.process.pid)) - before };
      };
      const seal = () =>
        withServerCpu(() => child(script, { ...base, mode: "seal", manifest: `bench/manifest-${round}.json` }));
      const read = () => withServerCpu(() => child(script, { ...base, mode: "read", manifest: "" }));
      let r: Measured & { serverCpuSeconds: number };
      let s: Measured & { serverCpuSeconds: number };
      if (round % 2 === 0) {
        r = await read();
        s = await seal();
      } else {
        s = await seal();
        r = await read();
      }
      if (r.bytes !== s.bytes) throw new Error(`read ${r.bytes} bytes, sealed ${s.bytes}`);
      const ratio = r.seconds / s.seconds;
      rounds.push({ read: r, seal: s, ratio });
      context.say(
        `  round ${round + 1}: read ${(r.bytes / 1e6 / r.seconds).toFixed(0)} MB/s, seal ${(s.bytes / 1e6 / s.seconds).toFixed(0)} MB/s, ratio ${ratio.toFixed(3)} (content ${s.contentSeconds?.toFixed(2)} of ${s.seconds.toFixed(2)} s), seal peak RSS ${(s.peakRssBytes / 1e6).toFixed(0)} MB (at start ${(s.baselineRssBytes / 1e6).toFixed(0)}), read peak ${(r.peakRssBytes / 1e6).toFixed(0)} MB (at start ${(r.baselineRssBytes / 1e6).toFixed(0)}); CPU s read ${r.cpuSeconds.toFixed(2)} + Azurite ${r.serverCpuSeconds.toFixed(2)}, seal ${s.cpuSeconds.toFixed(2)} + Azurite ${s.serverCpuSeconds.toFixed(2)}`,
      );
    }
    const figures = {
      bytes: rounds[0]?.seal.bytes ?? 0,
      rounds: rounds.map((r) => ({
        readSeconds: Number(r.read.seconds.toFixed(2)),
        sealSeconds: Number(r.seal.seconds.toFixed(2)),
        ratio: Number(r.ratio.toFixed(3)),
        readPeakRssMB: Math.round(r.read.peakRssBytes / 1e6),
        sealPeakRssMB: Math.round(r.seal.peakRssBytes / 1e6),
        sealStartRssMB: Math.round(r.seal.baselineRssBytes / 1e6),
        readStartRssMB: Math.round(r.read.baselineRssBytes / 1e6),
        readCpuSeconds: Number(r.read.cpuSeconds.toFixed(2)),
        readAzuriteCpuSeconds: Number(r.read.serverCpuSeconds.toFixed(2)),
        sealCpuSeconds: Number(r.seal.cpuSeconds.toFixed(2)),
        sealAzuriteCpuSeconds: Number(r.seal.serverCpuSeconds.toFixed(2)),
      })),
      medianRatio: Number(median(rounds.map((r) => r.ratio)).toFixed(3)),
      medianReadMBps: Math.round(median(rounds.map((r) => r.read.bytes / 1e6 / r.read.seconds))),
      medianSealMBps: Math.round(median(rounds.map((r) => r.seal.bytes / 1e6 / r.seal.seconds))),
      medianSealPeakRssMB: Math.round(median(rounds.map((r) => r.seal.peakRssBytes / 1e6))),
      maxSealPeakRssMB: Math.round(Math.max(...rounds.map((r) => r.seal.peakRssBytes / 1e6))),
      targets: { ratio: 0.9, sealPeakRssMB: 150 },
    };
    const met = figures.medianRatio >= 0.9 && figures.maxSealPeakRssMB <= 150;
    const path = await writeResult("byos-seal", { ...figures, met });
    context.say(
      `byos-seal: seal in place ${figures.medianSealMBps} MB/s vs plain read ${figures.medianReadMBps} MB/s, median ratio ${figures.medianRatio} over ${ROUNDS} rounds; seal peak RSS ≤ ${figures.maxSealPeakRssMB} MB; targets ≥ 0.9 and ≤ 150 MB: ${met ? "met" : "NOT met"} (${path})`,
    );
  } finally {
    await azurite.stop();
    await rm(location, { recursive: true, force: true });
  }
}
