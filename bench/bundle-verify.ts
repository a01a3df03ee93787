/**
 * `npm run bench -- bundle-verify`: a 1 GiB evidence bundle (docs/evidence.md "Bundles") verified by
 * `verifyBundleFile` — what `recorder bundle verify` runs — against `sha256sum` of the same file, in the same run,
 * alternating, after a warm-up read (so both read from the page cache). Median of the rounds; the ratio is
 * sha256sum's time over the verifier's (1: as fast as sha256sum; the target is ≥ 0.8). The bundle is written in a
 * temporary directory with the export's own BundleWriter and deleted afterwards.
 */
import { execFile } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdtemp, rm, stat, statfs } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { promisify } from "node:util";
import { buildManifest, signManifest } from "../src/archive/index.js";
import {
  buildCheckpoint,
  canonicalSha256,
  generatePrivateKeyPem,
  linkEntry,
  signerFromPrivateKeyPem,
  type ChainHead,
} from "../src/evidence/index.js";
import { BundleWriter, verifyBundleFile } from "../src/retrieval/index.js";
import { writeResult, type BenchContext } from "./result.js";

const RECORDINGS = 4;
const CHUNKS_PER_RECORDING = 16;
const CHUNK_BYTES = 16 * 1024 * 1024;
const ROUNDS = 5;

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
};

async function writeBundle(file: string) {
  const signer = signerFromPrivateKeyPem(generatePrivateKeyPem());
  const writer = new BundleWriter(signer, new Date());
  const written = pipeline(writer.output, createWriteStream(file));
  let head: ChainHead | undefined;
  const ledger: Record<string, unknown>[] = [];
  writer.addBuffer("evidence/public-key.pem", Buffer.from(`key id: ${signer.keyId}\n${signer.publicKeyPem}`));
  for (let r = 0; r < RECORDINGS; r++) {
    const folder = `bench/call-${r}/rec-${r}`;
    const chunks = [];
    for (let c = 0; c < CHUNKS_PER_RECORDING; c++) {
      const content = randomBytes(CHUNK_BYTES);
      const metadata = Buffer.from(JSON.stringify({ chunkDuration: 5000, participants: [], c }));
      await writer.addStream(`recordings/${folder}/chunk-${c}.wav`, content.length, async () =>
        Readable.from([content]),
      );
      writer.addBuffer(`recordings/${folder}/chunk-${c}.acsmetadata.json`, metadata);
      chunks.push({
        index: c,
        documentId: `doc-${r}-${c}`,
        endReason: "SessionEnded",
        content: {
          blob: `${folder}/chunk-${c}.wav`,
          sizeBytes: content.length,
          sha256: createHash("sha256").update(content).digest("hex"),
          contentType: "audio/wav",
        },
        metadata: {
          blob: `${folder}/chunk-${c}.acsmetadata.json`,
          sha256: createHash("sha256").update(metadata).digest("hex"),
          document: {
            chunkDuration: 5000,
            pauseResumeIntervals: [],
            participants: [],
            recordingInfo: { contentType: "audio", channelType: "mixed", format: "wav" },
          },
        },
      });
    }
    const manifest = signManifest(
      buildManifest({
        serverCallId: `call-${r}`,
        correlationId: `corr-${r}`,
        recordingId: `rec-${r}`,
        recordingStartTime: "2026-12-01T09:00:00Z",
        teamId: "bench",
        call: { participants: [] },
        policy: { ruleId: "r", mode: "required", policyHash: "p", legalHold: false },
        chunks,
        archivedAt: "2026-12-01T10:00:00Z",
      }),
      signer,
    );
    writer.addBuffer(`recordings/${folder}/manifest.json`, Buffer.from(JSON.stringify(manifest, null, 2)));
    const entry = JSON.parse(
      JSON.stringify(linkEntry({ change: "entry", serverCallId: `call-${r}`, entry: { state: "recorded" } }, head)),
    ) as Record<string, unknown> & { seq: number };
    ledger.push(entry);
    head = { seq: entry.seq, hash: canonicalSha256(entry) };
  }
  const checkpoint = buildCheckpoint("ledger", head!, new Date(), signer);
  writer.addBuffer("evidence/ledger-checkpoint.json", Buffer.from(JSON.stringify(checkpoint, null, 2)));
  const slice = {
    chain: "ledger",
    checkpointSeq: checkpoint.seq,
    serverCallIds: ledger.map((e) => e.serverCallId),
    recordingIds: [],
    entries: ledger,
  };
  writer.addBuffer("evidence/ledger-slice.json", Buffer.from(JSON.stringify(slice, null, 2)));
  writer.addBuffer("chain-of-custody.json", Buffer.from("{}\n"));
  writer.finish("bench");
  await written;
  return signer.publicKeyPem;
}

export async function runBundleVerifyBench(context: BenchContext): Promise<void> {
  const bundleBytes = RECORDINGS * CHUNKS_PER_RECORDING * CHUNK_BYTES;
  const space = await statfs(tmpdir());
  if (space.bavail * space.bsize < bundleBytes * 2)
    throw new Error(`bundle-verify needs ${(bundleBytes * 2) / 2 ** 30} GiB free in ${tmpdir()}`);
  const dir = await mkdtemp(join(tmpdir(), "bench-bundle-"));
  try {
    const file = join(dir, "bundle.zip");
    const writeStarted = performance.now();
    const publicKeyPem = await writeBundle(file);
    const writeSeconds = (performance.now() - writeStarted) / 1000;
    const fileBytes = (await stat(file)).size;
    context.say(
      `bundle-verify: ${(fileBytes / 2 ** 30).toFixed(2)} GiB bundle written in ${writeSeconds.toFixed(1)} s`,
    );
    const sha256sum = async () => {
      const started = performance.now();
      await promisify(execFile)("sha256sum", [file]);
      return (performance.now() - started) / 1000;
    };
    const verify = async () => {
      const started = performance.now();
      const report = await verifyBundleFile(file, publicKeyPem);
      if (!report.ok) throw new Error(`the bench bundle does not verify: ${report.problems.join("; ")}`);
      return (performance.now() - started) / 1000;
    };
    await sha256sum(); // warm-up: the file in the page cache for both
    const rounds: { sha256sumSeconds: number; verifySeconds: number }[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      // Alternating which goes first, so neither always gets the warmer cache.
      const first = round % 2 === 0 ? await sha256sum() : await verify();
      const second = round % 2 === 0 ? await verify() : await sha256sum();
      const [sha256sumSeconds, verifySeconds] = round % 2 === 0 ? [first, second] : [second, first];
      rounds.push({ sha256sumSeconds, verifySeconds });
      context.say(
        `  round ${round + 1}: sha256sum ${sha256sumSeconds.toFixed(2)} s, verify ${verifySeconds.toFixed(2)} s`,
      );
    }
    const sha256sumSeconds = median(rounds.map((r) => r.sha256sumSeconds));
    const verifySeconds = median(rounds.map((r) => r.verifySeconds));
    const ratio = sha256sumSeconds / verifySeconds;
    const path = await writeResult("bundle-verify", {
      bundleBytes: fileBytes,
      files: RECORDINGS * CHUNKS_PER_RECORDING * 2 + RECORDINGS + 5,
      rounds,
      medianSha256sumSeconds: sha256sumSeconds,
      medianVerifySeconds: verifySeconds,
      sha256sumMBps: fileBytes / 1e6 / sha256sumSeconds,
      verifyMBps: fileBytes / 1e6 / verifySeconds,
      speedRatio: ratio,
      target: 0.8,
      met: ratio >= 0.8,
      note: "verifyBundleFile in-process (what `recorder bundle verify` runs, without tsx's start-up); page cache warm; medians",
    });
    context.say(
      `bundle-verify: median sha256sum ${sha256sumSeconds.toFixed(2)} s, verify ${verifySeconds.toFixed(2)} s: ` +
        `${ratio.toFixed(2)} of sha256sum's speed (target ≥ 0.8) → ${path}`,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
