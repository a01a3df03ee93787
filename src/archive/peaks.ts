/**
 * Waveform peaks of an archived chunk (docs/qa-page.md "Waveform"): computed once from the archived bytes, by the
 * chunk-peaks job the ingest job queues when the chunk is sealed, and stored beside the chunk as
 * `<chunk blob>.peaks.json` (a chunk sealed in the customer's container: in our archive, under `_in-place-peaks/`), so a reviewer's browser draws each speaker's waveform
 * without downloading or decoding the audio. Derived data, not evidence: not in the manifest, recomputable from the
 * chunk. PCM WAV (what ACS writes for `wav`; the local simulator writes WAV bodies for every format) read as it is;
 * MPEG audio (ACS's `mp3`) decoded with mpg123 (WebAssembly, `mpg123-decoder`); any other encoding (`mp4`) gets no
 * peaks and the page says so.
 */
import type { ContainerClient } from "@azure/storage-blob";
import { MPEGDecoder } from "mpg123-decoder";
import { blobAt, isInPlace } from "./customer-storage.js";

/** Peaks per second of audio: 20 ms windows, fine enough to see turns and pauses, small for a 1 h chunk (~3 MB/channel as JSON at worst). */
export const PEAKS_PER_SECOND = 50;

export interface ChunkPeaks {
  version: 1;
  sampleRate: number;
  channels: number;
  /** Audio length the peaks cover. */
  durationMs: number;
  peaksPerSecond: number;
  /** Per channel (channel 0 first), the loudest absolute sample of each window, 0–1 rounded to 3 decimals. */
  peaks: number[][];
}

/** Where a chunk sealed in place has its peaks in our archive container: no team folder starts with `_`. */
export const IN_PLACE_PEAKS_AREA = "_in-place-peaks";

/**
 * The name of a chunk's peaks in the archive container, from the chunk's `blob` as the manifest lists it: beside an
 * archived chunk; for a chunk sealed in the customer's container (an absolute URL), under `_in-place-peaks/` by
 * its host and path (never its query: no SAS in a name). Pure: the peaks job writes and the API reads this name.
 */
export function peaksBlobName(chunkBlob: string): string {
  if (!isInPlace(chunkBlob)) return `${chunkBlob}.peaks.json`;
  const url = new URL(chunkBlob);
  return `${IN_PLACE_PEAKS_AREA}/${url.host}${decodeURIComponent(url.pathname)}.peaks.json`;
}

interface Format {
  audioFormat: number;
  channels: number;
  sampleRate: number;
  bitsPerSample: number;
  blockAlign: number;
}

/**
 * A streaming reader of a RIFF/WAVE file's PCM samples (8/16/24/32-bit integer, 32-bit float, plain or
 * WAVE_FORMAT_EXTENSIBLE) into peaks: bytes go in as they come, in pieces of any size. Pure (no I/O).
 */
export class WavPeaks {
  private header = Buffer.alloc(0);
  private format: Format | undefined;
  /** Bytes of the data chunk not yet read (Infinity for a streamed file whose size field is 0 or 0xFFFFFFFF). */
  private dataLeft = 0;
  private inData = false;
  private carry = Buffer.alloc(0);
  private window = 0;
  private framesInWindow = 0;
  private frames = 0;
  private current: number[] = [];
  private readonly out: number[][] = [];
  /** Why this is not a PCM WAV file, once known. */
  problem: string | undefined;

  push(piece: Buffer): void {
    if (this.problem) return;
    if (!this.inData) {
      this.header = Buffer.concat([this.header, piece]);
      this.readHeader();
      return;
    }
    this.samples(piece);
  }

  private readHeader(): void {
    const h = this.header;
    if (h.length < 12) return;
    if (h.toString("ascii", 0, 4) !== "RIFF" || h.toString("ascii", 8, 12) !== "WAVE") {
      this.problem = "not a RIFF/WAVE file";
      return;
    }
    let at = 12;
    while (at + 8 <= h.length) {
      const id = h.toString("ascii", at, at + 4);
      const size = h.readUInt32LE(at + 4);
      if (id === "data") {
        if (!this.format) {
          this.problem = "data before fmt";
          return;
        }
        this.inData = true;
        this.dataLeft = size === 0 || size === 0xffffffff ? Infinity : size;
        const rest = h.subarray(at + 8);
        this.header = Buffer.alloc(0);
        this.samples(rest);
        return;
      }
      if (at + 8 + size > h.length) return; // wait for the rest of this chunk
      if (id === "fmt " && !this.format) this.format = this.readFormat(h.subarray(at + 8, at + 8 + size));
      if (this.problem) return;
      at += 8 + size + (size % 2);
    }
    if (h.length > 1 << 20) this.problem = "no data chunk in the first MiB";
  }

  private readFormat(fmt: Buffer): Format | undefined {
    if (fmt.length < 16) {
      this.problem = "fmt chunk too short";
      return undefined;
    }
    let audioFormat = fmt.readUInt16LE(0);
    // WAVE_FORMAT_EXTENSIBLE: the real format is the first two bytes of the sub-format GUID.
    if (audioFormat === 0xfffe && fmt.length >= 26) audioFormat = fmt.readUInt16LE(24);
    const format = {
      audioFormat,
      channels: fmt.readUInt16LE(2),
      sampleRate: fmt.readUInt32LE(4),
      blockAlign: fmt.readUInt16LE(12),
      bitsPerSample: fmt.readUInt16LE(14),
    };
    const pcm = audioFormat === 1 && [8, 16, 24, 32].includes(format.bitsPerSample);
    const float = audioFormat === 3 && format.bitsPerSample === 32;
    if (!pcm && !float) this.problem = `encoding ${audioFormat}/${format.bitsPerSample}-bit is not PCM`;
    else if (
      format.channels < 1 ||
      format.sampleRate < 1 ||
      format.blockAlign !== (format.channels * format.bitsPerSample) / 8
    )
      this.problem = "inconsistent fmt chunk";
    this.current = new Array<number>(format.channels).fill(0);
    for (let c = 0; c < format.channels; c++) this.out.push([]);
    return format;
  }

  private samples(piece: Buffer): void {
    const format = this.format!;
    let bytes = this.carry.length > 0 ? Buffer.concat([this.carry, piece]) : piece;
    if (bytes.length > this.dataLeft) bytes = bytes.subarray(0, this.dataLeft);
    const whole = bytes.length - (bytes.length % format.blockAlign);
    this.carry = Buffer.from(bytes.subarray(whole));
    this.dataLeft -= whole;
    const width = format.bitsPerSample / 8;
    for (let frame = 0; frame < whole; frame += format.blockAlign) {
      for (let c = 0; c < format.channels; c++) {
        const at = frame + c * width;
        const value = Math.abs(this.read(bytes, at, format));
        if (value > this.current[c]!) this.current[c] = value;
      }
      this.frames++;
      this.framesInWindow++;
      // Window w ends at frame round((w + 1) × rate / PEAKS_PER_SECOND): exact over any length, whatever the rate.
      if (this.frames >= Math.round(((this.window + 1) * format.sampleRate) / PEAKS_PER_SECOND)) this.flush();
    }
  }

  private read(bytes: Buffer, at: number, format: Format): number {
    if (format.audioFormat === 3) return bytes.readFloatLE(at);
    switch (format.bitsPerSample) {
      case 8:
        return (bytes[at]! - 128) / 128;
      case 16:
        return bytes.readInt16LE(at) / 32768;
      case 24:
        return bytes.readIntLE(at, 3) / 8388608;
      default:
        return bytes.readInt32LE(at) / 2147483648;
    }
  }

  private flush(): void {
    this.current.forEach((peak, c) => this.out[c]!.push(Math.round(Math.min(1, peak) * 1000) / 1000));
    this.current.fill(0);
    this.framesInWindow = 0;
    this.window++;
  }

  /** The peaks, or why there are none. */
  result(): ChunkPeaks | { problem: string } {
    if (this.problem) return { problem: this.problem };
    if (!this.format) return { problem: "no fmt chunk" };
    if (this.framesInWindow > 0) this.flush();
    return {
      version: 1,
      sampleRate: this.format.sampleRate,
      channels: this.format.channels,
      durationMs: Math.round((this.frames / this.format.sampleRate) * 1000),
      peaksPerSecond: PEAKS_PER_SECOND,
      peaks: this.out,
    };
  }
}

/** Peaks of decoded audio (channels of float samples, any number of pieces). Pure. */
class DecodedPeaks {
  private frames = 0;
  private window = 0;
  private current: number[];
  private readonly out: number[][];
  constructor(
    private readonly channels: number,
    private readonly sampleRate: number,
  ) {
    this.current = new Array<number>(channels).fill(0);
    this.out = Array.from({ length: channels }, () => []);
  }

  add(channelData: readonly Float32Array[], count: number): void {
    for (let i = 0; i < count; i++) {
      for (let c = 0; c < this.channels; c++) {
        const value = Math.abs(channelData[c]?.[i] ?? 0);
        if (value > this.current[c]!) this.current[c] = value;
      }
      this.frames++;
      if (this.frames >= Math.round(((this.window + 1) * this.sampleRate) / PEAKS_PER_SECOND)) this.flush();
    }
  }

  private flush(): void {
    this.current.forEach((peak, c) => this.out[c]!.push(Math.round(Math.min(1, peak) * 1000) / 1000));
    this.current.fill(0);
    this.window++;
  }

  result(): ChunkPeaks {
    if (this.frames > Math.round((this.window * this.sampleRate) / PEAKS_PER_SECOND)) this.flush();
    return {
      version: 1,
      sampleRate: this.sampleRate,
      channels: this.channels,
      durationMs: Math.round((this.frames / this.sampleRate) * 1000),
      peaksPerSecond: PEAKS_PER_SECOND,
      peaks: this.out,
    };
  }
}

/**
 * The channel count of an MPEG audio stream from its first frame header (after an ID3v2 tag, if any): mpg123 hands
 * mono out as two equal channels, and a waveform per speaker must not show a mono mix twice. Undefined when the
 * bytes are no MPEG audio.
 */
export function mpegChannels(head: Buffer): 1 | 2 | undefined {
  let at = 0;
  if (head.toString("latin1", 0, 3) === "ID3" && head.length >= 10) {
    const size = ((head[6]! & 0x7f) << 21) | ((head[7]! & 0x7f) << 14) | ((head[8]! & 0x7f) << 7) | (head[9]! & 0x7f);
    at = 10 + size + (head[5]! & 0x10 ? 10 : 0);
  }
  for (; at + 4 <= head.length; at++) {
    // Frame sync (11 bits), a version other than reserved, layer I–III, a bitrate and sample rate that exist.
    if (head[at] !== 0xff || (head[at + 1]! & 0xe0) !== 0xe0) continue;
    const version = (head[at + 1]! >> 3) & 3;
    const layer = (head[at + 1]! >> 1) & 3;
    const bitrate = head[at + 2]! >> 4;
    const rate = (head[at + 2]! >> 2) & 3;
    if (version === 1 || layer === 0 || bitrate === 0 || bitrate === 15 || rate === 3) continue;
    return head[at + 3]! >> 6 === 3 ? 1 : 2;
  }
  return undefined;
}

/** Decodes MPEG audio as it comes (any piece sizes) into peaks. */
export async function mpegPeaks(
  pieces: AsyncIterable<Buffer>,
  head: Buffer,
): Promise<ChunkPeaks | { problem: string }> {
  const channels = mpegChannels(head);
  if (channels === undefined) return { problem: "no MPEG audio frame in the chunk's first bytes" };
  const decoder = new MPEGDecoder();
  await decoder.ready;
  try {
    let peaks: DecodedPeaks | undefined;
    const take = (piece: Buffer) => {
      const decoded = decoder.decode(new Uint8Array(piece.buffer, piece.byteOffset, piece.byteLength));
      if (decoded.samplesDecoded === 0) return;
      peaks ??= new DecodedPeaks(channels, decoded.sampleRate);
      peaks.add(decoded.channelData, decoded.samplesDecoded);
    };
    take(head);
    for await (const piece of pieces) take(piece);
    return peaks?.result() ?? { problem: "no MPEG audio decoded" };
  } finally {
    decoder.free();
  }
}

/** The first `bytes` of a stream (or all of it, if shorter), and the rest of it to read on. */
async function headOf(stream: AsyncIterable<Buffer>, bytes: number) {
  const iterator = stream[Symbol.asyncIterator]();
  const pieces: Buffer[] = [];
  let length = 0;
  while (length < bytes) {
    const next = await iterator.next();
    if (next.done) break;
    pieces.push(next.value);
    length += next.value.length;
  }
  const rest: AsyncIterable<Buffer> = { [Symbol.asyncIterator]: () => iterator };
  return { head: Buffer.concat(pieces), rest };
}

/** Peaks of an audio file read as a stream: PCM WAV or MPEG audio, recognised by their bytes. */
export async function peaksOfStream(stream: AsyncIterable<Buffer>): Promise<ChunkPeaks | { problem: string }> {
  const { head, rest } = await headOf(stream, 64 * 1024);
  if (head.toString("latin1", 0, 4) === "RIFF") {
    const reader = new WavPeaks();
    reader.push(head);
    for await (const piece of rest) {
      if (reader.problem) break;
      reader.push(piece);
    }
    return reader.result();
  }
  return mpegPeaks(rest, head);
}

/**
 * Reads an archived chunk back — from the archive container, or where it was sealed in place (`blobAt`: an absolute
 * URL) — and writes its peaks into the archive container under `peaksBlobName` (replacing any earlier: derived
 * data). Returns the peaks blob's name, or why there is none (an encoding it does not read). Storage errors are
 * thrown.
 */
export async function writeChunkPeaks(
  container: ContainerClient,
  chunkBlob: string,
): Promise<{ blob: string } | { problem: string }> {
  const download = await blobAt(container, chunkBlob).download(0);
  const peaks = await peaksOfStream(download.readableStreamBody as AsyncIterable<Buffer>);
  if ("problem" in peaks) return peaks;
  const blob = peaksBlobName(chunkBlob);
  const text = JSON.stringify(peaks);
  await container
    .getBlockBlobClient(blob)
    .upload(text, Buffer.byteLength(text), { blobHTTPHeaders: { blobContentType: "application/json" } });
  return { blob };
}
