import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { channelRms, parseWavHeader } from "./test-support/wav-parse.js";
import type { WavSpec } from "./wav.js";
import { HEADER_BYTES, framesForMs, maxFramesPerFile, wavBytes, wavSize } from "./wav.js";

const unmixed3: WavSpec = {
  layout: { speakers: 3, channels: [[0], [1], [2]] },
  frames: framesForMs(4000),
  shiftFrames: 0,
};
const mixed2: WavSpec = { layout: { speakers: 2, channels: [[0, 1]] }, frames: framesForMs(1500), shiftFrames: 12345 };

const all = (spec: WavSpec, start = 0, end = wavSize(spec)) => Buffer.concat([...wavBytes(spec, start, end)]);

describe("synthesised WAV", () => {
  it("has a valid PCM 16-bit 16 kHz header with the right channel count and data length", () => {
    for (const spec of [unmixed3, mixed2]) {
      const buf = all(spec);
      const info = parseWavHeader(buf);
      const channels = spec.layout.channels.length;
      expect(info).toEqual({
        riffSize: buf.length - 8,
        audioFormat: 1,
        channels,
        sampleRate: 16000,
        byteRate: 16000 * channels * 2,
        blockAlign: channels * 2,
        bitsPerSample: 16,
        dataBytes: spec.frames * channels * 2,
      });
      expect(buf.length).toBe(wavSize(spec));
    }
  });

  it("produces identical bytes for any range as for the whole file", () => {
    const whole = all(unmixed3);
    for (const [start, end] of [
      [0, 10],
      [3, 44],
      [43, 47],
      [44, 45],
      [1001, 200_001],
      [whole.length - 3, whole.length],
      [77_777, whole.length],
    ] as const) {
      expect(all(unmixed3, start, end).equals(whole.subarray(start, end))).toBe(true);
    }
  });

  it("gives each unmixed channel its own speaker, audible in turn", () => {
    const data = all(unmixed3).subarray(HEADER_BYTES);
    const frameBytes = 6;
    // Speaker s talks in the s-th half second of each 2 s cycle (the 4th slot is silence).
    for (let slot = 0; slot < 4; slot++) {
      const from = (slot * 8000 + 400) * frameBytes;
      const to = (slot * 8000 + 7600) * frameBytes;
      const rms = [0, 1, 2].map((c) => channelRms(data.subarray(from, to), 3, c));
      rms.forEach((v, c) => (c === slot ? expect(v).toBeGreaterThan(5000) : expect(v).toBe(0)));
    }
  });

  it("computes any offset of a very large file without materialising it", () => {
    const big: WavSpec = {
      layout: { speakers: 5, channels: [[0], [1], [2], [3], [4]] },
      frames: maxFramesPerFile({ speakers: 5, channels: [[0], [1], [2], [3], [4]] }),
      shiftFrames: 7,
    };
    const size = wavSize(big);
    expect(size).toBeGreaterThan(4_000_000_000);
    expect(size).toBeLessThanOrEqual(0xffff_ffff + 8);
    const header = parseWavHeader(all(big, 0, 44));
    expect(header.riffSize).toBe(size - 8);
    const end = all(big, size - 1_000_000, size);
    expect(end.length).toBe(1_000_000);
    // Deterministic: the same range twice hashes the same.
    const h = (b: Buffer) => createHash("sha256").update(b).digest("hex");
    expect(h(all(big, 2_000_000_000, 2_000_100_000))).toBe(h(all(big, 2_000_000_000, 2_000_100_000)));
  });

  it("differs between chunks of the same length (the shift)", () => {
    const a = all({ ...mixed2, shiftFrames: 1 });
    const b = all({ ...mixed2, shiftFrames: 9001 });
    expect(a.subarray(0, 44).equals(b.subarray(0, 44))).toBe(true);
    expect(a.equals(b)).toBe(false);
  });
});
