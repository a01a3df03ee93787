// Synthesised recordings: canonical RIFF/WAVE PCM 16-bit 16 kHz files whose bytes are a pure function
// of (layout, frames, shift, offset), so any range of a multi-gigabyte chunk is produced without
// holding the file in memory.
//
// The audio is a conversation of tones: speaker s talks in slot s of a cycle of (speakers + 1) slots of
// 500 ms (the last slot is silence), at its own frequency. Unmixed channels therefore differ audibly.

export const SAMPLE_RATE = 16_000;
export const BITS_PER_SAMPLE = 16;
export const HEADER_BYTES = 44;

const SLOT_FRAMES = SAMPLE_RATE / 2;
const RAMP_FRAMES = 160; // 10 ms fade in/out so the turns do not click
const AMPLITUDE = 0.3 * 32767;
// Every period (40, 32, 25, 20, 16 samples) divides SLOT_FRAMES, so the cycle loops without a phase jump.
const FREQUENCIES_HZ = [400, 500, 640, 800, 1000];
const PIECE_BYTES = 64 * 1024;

export interface AudioLayout {
  /** Number of distinct voices in the conversation (participants). */
  speakers: number;
  /** channels[c] = the speaker indices heard on channel c (one for unmixed, all for mixed). */
  channels: number[][];
}

export interface WavSpec {
  layout: AudioLayout;
  frames: number;
  /** Where in the conversation cycle this file starts; varies per chunk so chunks differ. */
  shiftFrames: number;
}

export function blockAlign(layout: AudioLayout): number {
  return layout.channels.length * (BITS_PER_SAMPLE / 8);
}

/** The most frames one file can hold before the RIFF 32-bit sizes overflow. */
export function maxFramesPerFile(layout: AudioLayout): number {
  return Math.floor((0xffff_ffff - 36) / blockAlign(layout));
}

/** The most frames a file of at most `maxBytes` (header included) holds; at least one. */
export function framesWithinBytes(layout: AudioLayout, maxBytes: number): number {
  return Math.max(1, Math.floor((maxBytes - HEADER_BYTES) / blockAlign(layout)));
}

export function framesForMs(ms: number): number {
  return Math.round((ms * SAMPLE_RATE) / 1000);
}

export function wavSize(spec: WavSpec): number {
  return HEADER_BYTES + spec.frames * blockAlign(spec.layout);
}

export function wavHeader(spec: WavSpec): Buffer {
  const channels = spec.layout.channels.length;
  const align = blockAlign(spec.layout);
  const dataBytes = spec.frames * align;
  const h = Buffer.alloc(HEADER_BYTES);
  h.write("RIFF", 0, "ascii");
  h.writeUInt32LE(36 + dataBytes, 4);
  h.write("WAVE", 8, "ascii");
  h.write("fmt ", 12, "ascii");
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20); // PCM
  h.writeUInt16LE(channels, 22);
  h.writeUInt32LE(SAMPLE_RATE, 24);
  h.writeUInt32LE(SAMPLE_RATE * align, 28);
  h.writeUInt16LE(align, 32);
  h.writeUInt16LE(BITS_PER_SAMPLE, 34);
  h.write("data", 36, "ascii");
  h.writeUInt32LE(dataBytes, 40);
  return h;
}

const cycleCache = new Map<string, Buffer>();

function cycleFrames(layout: AudioLayout): number {
  return (layout.speakers + 1) * SLOT_FRAMES;
}

/** One full conversation cycle of interleaved samples; cached, it is at most a few hundred KB. */
function cycleBuffer(layout: AudioLayout): Buffer {
  const key = JSON.stringify(layout);
  const cached = cycleCache.get(key);
  if (cached) return cached;
  const frames = cycleFrames(layout);
  const channels = layout.channels.length;
  const buf = Buffer.alloc(frames * channels * 2);
  for (let i = 0; i < frames; i++) {
    const speaking = Math.floor(i / SLOT_FRAMES);
    const pos = i % SLOT_FRAMES;
    const envelope = Math.min(1, pos / RAMP_FRAMES, (SLOT_FRAMES - 1 - pos) / RAMP_FRAMES);
    const freq = FREQUENCIES_HZ[speaking % FREQUENCIES_HZ.length] ?? 440;
    const tone = Math.round(AMPLITUDE * envelope * Math.sin((2 * Math.PI * freq * i) / SAMPLE_RATE));
    for (let c = 0; c < channels; c++) {
      const heard = speaking < layout.speakers && (layout.channels[c] ?? []).includes(speaking);
      buf.writeInt16LE(heard ? tone : 0, (i * channels + c) * 2);
    }
  }
  if (cycleCache.size >= 32) cycleCache.clear();
  cycleCache.set(key, buf);
  return buf;
}

/**
 * Yields the bytes [start, end) of the file as buffers of at most 64 KB. The buffers are views of a
 * shared cache: consumers must copy before mutating.
 */
export function* wavBytes(spec: WavSpec, start: number, end: number): Generator<Buffer> {
  const total = wavSize(spec);
  let pos = Math.max(0, start);
  const stop = Math.min(end, total);
  if (pos < HEADER_BYTES && pos < stop) {
    const header = wavHeader(spec);
    const to = Math.min(HEADER_BYTES, stop);
    yield header.subarray(pos, to);
    pos = to;
  }
  if (pos >= stop) return;
  const cycle = cycleBuffer(spec.layout);
  const shiftBytes = (spec.shiftFrames % cycleFrames(spec.layout)) * blockAlign(spec.layout);
  let at = (pos - HEADER_BYTES + shiftBytes) % cycle.length;
  while (pos < stop) {
    const n = Math.min(stop - pos, cycle.length - at, PIECE_BYTES);
    yield cycle.subarray(at, at + n);
    pos += n;
    at = (at + n) % cycle.length;
  }
}
