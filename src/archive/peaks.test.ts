import { describe, expect, it } from "vitest";
import { readFile } from "node:fs/promises";
import { mpegChannels, PEAKS_PER_SECOND, peaksBlobName, peaksOfStream, WavPeaks, type ChunkPeaks } from "./peaks.js";

/** A canonical 44-byte PCM header (optionally EXTENSIBLE, with a LIST chunk before data), then the samples. */
function wav(
  channels: number[][],
  {
    rate = 1000,
    bits = 16,
    extensible = false,
    list = false,
    dataSize,
  }: { rate?: number; bits?: number; extensible?: boolean; list?: boolean; dataSize?: number } = {},
): Buffer {
  const width = bits / 8;
  const frames = channels[0]!.length;
  const data = Buffer.alloc(frames * channels.length * width);
  for (let f = 0; f < frames; f++)
    channels.forEach((samples, c) => {
      const at = (f * channels.length + c) * width;
      const v = samples[f]!;
      if (bits === 8) data[at] = Math.round(v * 127) + 128;
      else if (bits === 16) data.writeInt16LE(Math.round(v * 32767), at);
      else if (bits === 24) data.writeIntLE(Math.round(v * 8388607), at, 3);
      else data.writeInt32LE(Math.round(v * 2147483647), at);
    });
  const fmt = Buffer.alloc(extensible ? 40 : 16);
  fmt.writeUInt16LE(extensible ? 0xfffe : 1, 0);
  fmt.writeUInt16LE(channels.length, 2);
  fmt.writeUInt32LE(rate, 4);
  fmt.writeUInt32LE(rate * channels.length * width, 8);
  fmt.writeUInt16LE(channels.length * width, 12);
  fmt.writeUInt16LE(bits, 14);
  if (extensible) fmt.writeUInt16LE(1, 24);
  const chunk = (id: string, body: Buffer) => {
    const head = Buffer.alloc(8);
    head.write(id, 0, "ascii");
    head.writeUInt32LE(id === "data" && dataSize !== undefined ? dataSize : body.length, 4);
    return Buffer.concat([head, body, body.length % 2 ? Buffer.alloc(1) : Buffer.alloc(0)]);
  };
  const body = Buffer.concat([
    Buffer.from("WAVE"),
    chunk("fmt ", fmt),
    ...(list ? [chunk("LIST", Buffer.from("INFOISFT\x03\x00\x00\x00ab\x00"))] : []),
    chunk("data", data),
  ]);
  const riff = Buffer.alloc(8);
  riff.write("RIFF", 0, "ascii");
  riff.writeUInt32LE(body.length, 4);
  return Buffer.concat([riff, body]);
}

/** Pushes the file in pieces of `size` bytes. */
function peaksOf(file: Buffer, size = file.length): ChunkPeaks | { problem: string } {
  const reader = new WavPeaks();
  for (let at = 0; at < file.length; at += size) reader.push(file.subarray(at, at + size));
  return reader.result();
}

// 1000 Hz: a window is 1000 / PEAKS_PER_SECOND = 20 frames.
const FRAMES_PER_WINDOW = 1000 / PEAKS_PER_SECOND;
const speech = (loud: number, windows: number) =>
  Array.from({ length: windows * FRAMES_PER_WINDOW }, (_, i) => (i % 7 === 3 ? loud : loud / 4) * (i % 2 ? -1 : 1));
const silence = (windows: number) => new Array<number>(windows * FRAMES_PER_WINDOW).fill(0);

describe("waveform peaks of a WAV chunk", () => {
  const left = [...speech(0.5, 2), ...silence(1)];
  const right = [...silence(2), ...speech(0.25, 1)];

  it.each([
    ["16-bit, whole", {}, 1 << 20],
    ["16-bit, byte by byte", {}, 1],
    ["16-bit, odd pieces that split samples and the header", {}, 7],
    ["8-bit", { bits: 8 }, 13],
    ["24-bit", { bits: 24 }, 5],
    ["32-bit", { bits: 32 }, 64],
    ["WAVE_FORMAT_EXTENSIBLE with a LIST chunk before data", { extensible: true, list: true }, 3],
    ["a streamed header whose data size is 0", { dataSize: 0 }, 11],
  ])("%s: the loudest sample of each window, per channel", (_, options, size) => {
    const result = peaksOf(wav([left, right], options), size);
    expect(result).toMatchObject({ version: 1, sampleRate: 1000, channels: 2, durationMs: 60, peaksPerSecond: 50 });
    const peaks = (result as ChunkPeaks).peaks;
    const tolerance = (options as { bits?: number }).bits === 8 ? 0.01 : 0.001;
    expect(peaks).toHaveLength(2);
    [
      [0.5, 0.5, 0],
      [0, 0, 0.25],
    ].forEach((expected, c) =>
      expected.forEach((value, w) => expect(Math.abs(peaks[c]![w]! - value)).toBeLessThanOrEqual(tolerance)),
    );
  });

  it("closes a last partial window, and ignores bytes after the data chunk", () => {
    const samples = [...speech(0.5, 1), 0.1, 0.1, 0.1];
    const file = Buffer.concat([wav([samples]), Buffer.from("junk after the data chunk")]);
    const result = peaksOf(file, 9) as ChunkPeaks;
    expect(result.durationMs).toBe(23);
    expect(result.peaks[0]).toEqual([0.5, 0.1]);
  });

  it.each([
    ["an MP3 (to the WAV reader)", Buffer.from("ID3\x04\x00\x00\x00\x00\x00\x00 and frames"), "not a RIFF/WAVE file"],
    [
      "an A-law WAV",
      (() => {
        const f = wav([[0, 0]]);
        f.writeUInt16LE(6, 20);
        return f;
      })(),
      "encoding 6/16-bit is not PCM",
    ],
    ["no fmt chunk", Buffer.from("RIFF\x04\x00\x00\x00WAVE"), "no fmt chunk"],
  ])("gives no peaks for %s, and says why", (_, file, problem) => {
    expect(peaksOf(file)).toEqual({ problem });
  });
});

/** Pieces of `size` bytes, as a blob download gives them. */
async function* piecesOf(bytes: Buffer, size: number) {
  for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
}

describe("waveform peaks of an MP3 chunk (ACS's mp3 format)", () => {
  // 1 s of 16 kHz mono made with LAME: a 400 Hz tone at half scale for 0.5 s, then silence.
  const fixture = readFile("test/fixtures/audio/tone-16k-mono-400hz-half-second.mp3");

  it.each([1 << 20, 4096, 333])(
    "decodes it in pieces of %s bytes: one channel, the tone, then silence",
    async (size) => {
      const result = (await peaksOfStream(piecesOf(await fixture, size))) as ChunkPeaks;
      expect(result).toMatchObject({ version: 1, sampleRate: 16_000, channels: 1, peaksPerSecond: PEAKS_PER_SECOND });
      // LAME's encoder delay and padding make it a little longer than the second encoded.
      expect(result.durationMs).toBeGreaterThanOrEqual(1_000);
      expect(result.durationMs).toBeLessThan(1_150);
      const windows = result.peaks[0]!;
      expect(Math.min(...windows.slice(6, 24))).toBeGreaterThan(0.4);
      expect(Math.max(...windows.slice(36, 50))).toBeLessThan(0.02);
    },
  );

  it.each([
    ["a mono MPEG-1 layer III frame", Buffer.from([0xff, 0xfb, 0x90, 0xc4]), 1],
    ["a joint-stereo frame", Buffer.from([0xff, 0xfb, 0x90, 0x44]), 2],
    [
      "an ID3v2 tag, then a mono frame",
      Buffer.concat([Buffer.from("ID3\x04\x00\x00\x00\x00\x00\x02xx"), Buffer.from([0xff, 0xf3, 0x48, 0xc4])]),
      1,
    ],
    ["a reserved sample rate, then nothing", Buffer.from([0xff, 0xfb, 0x9c, 0xc4]), undefined],
    ["text", Buffer.from("hello, not audio"), undefined],
  ])("channels of %s: %s", (_, head, channels) => expect(mpegChannels(head)).toBe(channels));

  it("says why there are no peaks for bytes that are neither WAV nor MPEG audio (mp4)", async () => {
    const mp4 = Buffer.concat([Buffer.from([0, 0, 0, 0x18]), Buffer.from("ftypmp42"), Buffer.alloc(64)]);
    expect(await peaksOfStream(piecesOf(mp4, 16))).toEqual({
      problem: "no MPEG audio frame in the chunk's first bytes",
    });
  });
});

describe("where a chunk's peaks are kept in the archive container", () => {
  it.each([
    [
      "an archived chunk: beside it",
      "desk/2026/12/04/call/rec/chunk-0000.wav",
      "desk/2026/12/04/call/rec/chunk-0000.wav.peaks.json",
    ],
    [
      "a chunk sealed in place: under _in-place-peaks/, by host and path, never the query",
      "https://vault.blob.core.windows.net/calls/20261204/c%20id/0-audiomixedwav.doc.wav?sig=secret",
      "_in-place-peaks/vault.blob.core.windows.net/calls/20261204/c id/0-audiomixedwav.doc.wav.peaks.json",
    ],
    [
      "an in-place chunk in Azurite (path-style account)",
      "http://127.0.0.1:10000/devstoreaccount1/vault/x.mp3",
      "_in-place-peaks/127.0.0.1:10000/devstoreaccount1/vault/x.mp3.peaks.json",
    ],
  ])("%s", (_, blob, name) => expect(peaksBlobName(blob)).toBe(name));
});
