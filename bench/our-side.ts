/**
 * `npm run bench -- our-side`: stripping an unmixed WAV to our channels (docs/consent-flow.md "Our side only") — what
 * ingest runs on every chunk of an our-side-only call: the received-bytes SHA-256 and the channel picker
 * (src/archive/our-side.ts strippedBody), over a synthetic 5-channel 16 kHz 16-bit WAV of 250 MiB served in 64 KiB
 * pieces, keeping one channel. Compared, in the same run and alternating, with a plain SHA-256 over the same pieces
 * (what any downloaded chunk costs already): the ratio is the plain hash's time over the stripping's (1: free).
 * Median of the rounds; the peak RSS growth tells whether memory stays bounded (it must not grow with the chunk).
 * Offline: no Redis, no storage.
 */
import { createHash } from "node:crypto";
import { strippedBody } from "../src/archive/index.js";
import { writeResult, type BenchContext } from "./result.js";

const CHANNELS = 5;
const PIECE_BYTES = 64 * 1024;
const DATA_BYTES = 250 * 1024 * 1024; // whole 10-byte frames
const ROUNDS = 5;

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;

function header(): Buffer {
  const align = CHANNELS * 2;
  const h = Buffer.alloc(44);
  h.write("RIFF", 0, "latin1");
  h.writeUInt32LE(36 + DATA_BYTES, 4);
  h.write("WAVEfmt ", 8, "latin1");
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20);
  h.writeUInt16LE(CHANNELS, 22);
  h.writeUInt32LE(16_000, 24);
  h.writeUInt32LE(16_000 * align, 28);
  h.writeUInt16LE(align, 32);
  h.writeUInt16LE(16, 34);
  h.write("data", 36, "latin1");
  h.writeUInt32LE(DATA_BYTES, 40);
  return h;
}

/** The WAV in pieces of 64 KiB (one shared noise piece; 64 KiB is not a multiple of a 10-byte frame: frames split). */
async function* served(): AsyncGenerator<Buffer> {
  const noise = Buffer.alloc(PIECE_BYTES);
  for (let i = 0; i < noise.length; i++) noise[i] = (i * 2654435761) >>> 24;
  yield header();
  for (let sent = 0; sent < DATA_BYTES; sent += PIECE_BYTES)
    yield noise.subarray(0, Math.min(PIECE_BYTES, DATA_BYTES - sent));
}

const participants = Array.from({ length: CHANNELS }, (_, channel) => ({ participantId: `p${channel}`, channel }));

async function strip(): Promise<number> {
  const started = process.hrtime.bigint();
  const body = strippedBody(served(), { participants }, (id) => id === "p0", new Set(["p1"]));
  let out = 0;
  for await (const piece of body.body) out += piece.length;
  body.received();
  if (out !== 44 + DATA_BYTES / CHANNELS) throw new Error(`stripped to ${out} bytes`);
  return Number(process.hrtime.bigint() - started) / 1e9;
}

async function hashOnly(): Promise<number> {
  const started = process.hrtime.bigint();
  const hash = createHash("sha256");
  for await (const piece of served()) hash.update(piece);
  hash.digest();
  return Number(process.hrtime.bigint() - started) / 1e9;
}

export async function runOurSideBench(context: BenchContext): Promise<void> {
  await strip(); // warm-up
  const rssBefore = process.memoryUsage().rss;
  let rssPeak = rssBefore;
  const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss)), 50);
  const stripping: number[] = [];
  const hashing: number[] = [];
  try {
    for (let round = 0; round < ROUNDS; round++) {
      stripping.push(await strip());
      hashing.push(await hashOnly());
    }
  } finally {
    clearInterval(sampler);
  }
  const mib = DATA_BYTES / (1024 * 1024);
  const figures = {
    servedMiB: mib,
    channels: CHANNELS,
    kept: 1,
    rounds: ROUNDS,
    medianStripSeconds: median(stripping),
    medianHashSeconds: median(hashing),
    stripMiBPerSecond: mib / median(stripping),
    ratio: median(hashing) / median(stripping),
    rssGrowthMiB: (rssPeak - rssBefore) / (1024 * 1024),
  };
  const path = await writeResult("our-side", figures);
  context.say(
    `our-side: ${mib} MiB, ${CHANNELS} channels → 1: median ${figures.medianStripSeconds.toFixed(2)} s ` +
      `(${figures.stripMiBPerSecond.toFixed(0)} MiB/s; a plain SHA-256 ${figures.medianHashSeconds.toFixed(2)} s, ` +
      `ratio ${figures.ratio.toFixed(2)}), RSS growth ${figures.rssGrowthMiB.toFixed(0)} MiB → ${path}`,
  );
}
