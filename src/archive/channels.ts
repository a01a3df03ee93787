/**
 * Keeping our side of an unmixed recording (docs/consent-flow.md "Our side only"): which channels of a chunk are
 * ours, and a streaming rewrite of its WAV with only those channels. Pure: no I/O; ingest-chunk.ts feeds it the
 * bytes ACS serves and stages what it yields.
 *
 * An unmixed WAV (docs/acs-payloads.md "Recording options": up to 5 channels, one participant each, 16 kHz) is a
 * RIFF/WAVE file whose data chunk holds frames of `channels` interleaved samples; the metadata document says which
 * participant is on which channel (`participants [{participantId, channel}]`). Keeping channels is copying, frame by
 * frame, the samples of the kept channels into a narrower frame: the same audio, the same timing, fewer voices.
 */

/** Why a channel of the recording is not archived. */
export type DropReason =
  /** A party who refused or did not answer (the session's strip set): their audio must never be archived. */
  | "no-consent"
  /** Someone who is not a member of a recording team, and not among those asked (an unknown participant). */
  | "not-ours"
  /** A member shares the channel with someone who is not: the channel cannot be kept without them. */
  | "shared"
  /** The metadata document names nobody on this channel: whose audio it holds is unknown. */
  | "unassigned";

export interface KeptChannel {
  /** The channel in the file ACS served. */
  channel: number;
  /** The channel in the archived file. */
  archivedChannel: number;
  participants: string[];
}

export interface DroppedChannel {
  channel: number;
  participants: string[];
  why: DropReason;
}

export interface ChannelSelection {
  kept: KeptChannel[];
  dropped: DroppedChannel[];
  /** Participants the metadata document lists with no channel (or one past the file's): not in any channel we read. */
  unplaced: string[];
}

/**
 * Which channels of a chunk are kept: only those whose every participant is positively ours (a member of a recording
 * team) — a refuser's, an unknown participant's, a shared or an unassigned channel is dropped. A party in `strip` is
 * never kept, even if a membership test would take them for ours. Pure.
 */
export function selectChannels(input: {
  participants: readonly { participantId: string; channel?: number | undefined }[];
  /** The channel count of the file (its fmt chunk). */
  channels: number;
  isOurs: (participantId: string) => boolean;
  strip: ReadonlySet<string>;
}): ChannelSelection {
  const onChannel: string[][] = Array.from({ length: input.channels }, () => []);
  const unplaced: string[] = [];
  for (const p of input.participants) {
    const list = p.channel !== undefined && Number.isInteger(p.channel) ? onChannel[p.channel] : undefined;
    if (list) {
      if (!list.includes(p.participantId)) list.push(p.participantId);
    } else if (!unplaced.includes(p.participantId)) unplaced.push(p.participantId);
  }
  const kept: KeptChannel[] = [];
  const dropped: DroppedChannel[] = [];
  onChannel.forEach((participants, channel) => {
    const why = dropReason(participants, input.isOurs, input.strip);
    if (why) dropped.push({ channel, participants, why });
    else kept.push({ channel, archivedChannel: kept.length, participants });
  });
  return { kept, dropped, unplaced };
}

function dropReason(
  participants: readonly string[],
  isOurs: (participantId: string) => boolean,
  strip: ReadonlySet<string>,
): DropReason | undefined {
  if (participants.length === 0) return "unassigned";
  if (participants.some((p) => strip.has(p))) return "no-consent";
  const ours = participants.filter((p) => isOurs(p));
  if (ours.length === 0) return "not-ours";
  if (ours.length < participants.length) return "shared";
  return undefined;
}

/** A PCM WAV's layout, as its header says it. */
export interface WavFormat {
  channels: number;
  sampleRate: number;
  bitsPerSample: number;
  /** Bytes per frame (channels × bytes per sample). */
  blockAlign: number;
  /** Bytes of the header, up to and including the data chunk's 8-byte header. */
  headerBytes: number;
  /** Bytes of the data chunk. */
  dataBytes: number;
}

export class WavRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = "WavRefused";
  }
}

const WAVE_FORMAT_PCM = 1;
const WAVE_FORMAT_EXTENSIBLE = 0xfffe;
/** The header we read before giving up on finding the data chunk. */
export const MAX_WAV_HEADER_BYTES = 64 * 1024;

/**
 * The format of a WAV from its first bytes: undefined while more bytes are needed (the data chunk's header not yet
 * in `head`); throws WavRefused for anything that is not integer PCM with a known data size. Pure.
 */
export function parseWavHeader(head: Buffer): WavFormat | undefined {
  if (head.length < 12) return undefined;
  if (head.toString("latin1", 0, 4) !== "RIFF" || head.toString("latin1", 8, 12) !== "WAVE")
    throw new WavRefused("not a RIFF/WAVE file");
  let at = 12;
  let format: Omit<WavFormat, "headerBytes" | "dataBytes"> | undefined;
  while (at + 8 <= head.length) {
    const id = head.toString("latin1", at, at + 4);
    const size = head.readUInt32LE(at + 4);
    if (id === "data") {
      if (!format) throw new WavRefused("data chunk before the fmt chunk");
      // A streamed file's unknown size: the archived file's sizes could not be written before its end.
      if (size === 0xffffffff || size === 0) throw new WavRefused(`data chunk of unknown size (${size})`);
      if (size % format.blockAlign !== 0)
        throw new WavRefused(`data chunk of ${size} bytes is not whole frames of ${format.blockAlign}`);
      return { ...format, headerBytes: at + 8, dataBytes: size };
    }
    const end = at + 8 + size + (size % 2); // RIFF chunks are padded to even sizes
    if (id === "fmt ") {
      if (at + 8 + size > head.length) return undefined;
      format = readFormat(head.subarray(at + 8, at + 8 + size));
    }
    at = end;
    if (at > MAX_WAV_HEADER_BYTES) throw new WavRefused(`no data chunk in the first ${MAX_WAV_HEADER_BYTES} bytes`);
  }
  if (head.length > MAX_WAV_HEADER_BYTES)
    throw new WavRefused(`no data chunk in the first ${MAX_WAV_HEADER_BYTES} bytes`);
  return undefined;
}

function readFormat(fmt: Buffer): Omit<WavFormat, "headerBytes" | "dataBytes"> {
  if (fmt.length < 16) throw new WavRefused("fmt chunk too short");
  const tag = fmt.readUInt16LE(0);
  const channels = fmt.readUInt16LE(2);
  const sampleRate = fmt.readUInt32LE(4);
  const blockAlign = fmt.readUInt16LE(12);
  const bitsPerSample = fmt.readUInt16LE(14);
  // WAVE_FORMAT_EXTENSIBLE: the sub-format GUID's first two bytes are the format tag (PCM = 1).
  const pcm =
    tag === WAVE_FORMAT_PCM || (tag === WAVE_FORMAT_EXTENSIBLE && fmt.length >= 26 && fmt.readUInt16LE(24) === 1);
  if (!pcm) throw new WavRefused(`not integer PCM (format tag 0x${tag.toString(16)})`);
  if (channels < 1 || bitsPerSample % 8 !== 0 || bitsPerSample === 0 || blockAlign !== channels * (bitsPerSample / 8))
    throw new WavRefused(`inconsistent fmt chunk (${channels} channels, ${bitsPerSample} bits, align ${blockAlign})`);
  return { channels, sampleRate, bitsPerSample, blockAlign };
}

/**
 * The canonical 44-byte PCM header of the archived file: the kept channel count, and the byte rate, block align and
 * sizes that follow from it. Pure.
 */
export function keptWavHeader(format: WavFormat, keptChannels: number): Buffer {
  if (keptChannels < 1) throw new WavRefused("no channel to keep");
  const bytesPerSample = format.bitsPerSample / 8;
  const align = keptChannels * bytesPerSample;
  const dataBytes = (format.dataBytes / format.blockAlign) * align;
  const h = Buffer.alloc(44);
  h.write("RIFF", 0, "latin1");
  h.writeUInt32LE(36 + dataBytes, 4);
  h.write("WAVE", 8, "latin1");
  h.write("fmt ", 12, "latin1");
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(WAVE_FORMAT_PCM, 20);
  h.writeUInt16LE(keptChannels, 22);
  h.writeUInt32LE(format.sampleRate, 24);
  h.writeUInt32LE(format.sampleRate * align, 28);
  h.writeUInt16LE(align, 32);
  h.writeUInt16LE(format.bitsPerSample, 34);
  h.write("data", 36, "latin1");
  h.writeUInt32LE(dataBytes, 40);
  return h;
}

/**
 * Picks channels out of interleaved frames that arrive in pieces of any size: a frame split across pieces is
 * carried (at most one frame's bytes) until it is whole. Memory: the carry plus one output piece per input piece.
 */
export class ChannelPicker {
  private readonly carry: Buffer;
  private carried = 0;
  private readonly offsets: number[];
  private readonly bytesPerSample: number;

  constructor(
    private readonly blockAlign: number,
    bytesPerSample: number,
    keep: readonly number[],
  ) {
    this.bytesPerSample = bytesPerSample;
    this.offsets = keep.map((c) => c * bytesPerSample);
    this.carry = Buffer.alloc(blockAlign);
  }

  /** The kept samples of every frame completed by `piece`. */
  push(piece: Buffer): Buffer {
    const inAlign = this.blockAlign;
    const outAlign = this.offsets.length * this.bytesPerSample;
    let from = 0;
    const head: Buffer[] = [];
    if (this.carried > 0) {
      const n = Math.min(inAlign - this.carried, piece.length);
      piece.copy(this.carry, this.carried, 0, n);
      this.carried += n;
      from = n;
      if (this.carried < inAlign) return Buffer.alloc(0);
      head.push(this.pick(this.carry, 0, 1, outAlign));
      this.carried = 0;
    }
    const frames = Math.floor((piece.length - from) / inAlign);
    const body = this.pick(piece, from, frames, outAlign);
    const rest = from + frames * inAlign;
    if (rest < piece.length) {
      piece.copy(this.carry, 0, rest);
      this.carried = piece.length - rest;
    }
    return head.length > 0 ? Buffer.concat([...head, body]) : body;
  }

  /** Bytes of an unfinished frame held back: a whole file leaves none. */
  get pending(): number {
    return this.carried;
  }

  private pick(source: Buffer, from: number, frames: number, outAlign: number): Buffer {
    const out = Buffer.allocUnsafe(frames * outAlign);
    const size = this.bytesPerSample;
    const inAlign = this.blockAlign;
    const offsets = this.offsets;
    // Byte by byte: a Buffer.copy per sample costs a call each (a 4-hour 5-channel chunk is ~10⁹ samples).
    let to = 0;
    for (let frame = from, end = from + frames * inAlign; frame < end; frame += inAlign)
      for (const offset of offsets)
        for (let b = frame + offset, last = b + size; b < last; b++) out[to++] = source[b] ?? 0;
    return out;
  }
}

/** What a stripped body was, once read to its end. */
export interface StrippedWav {
  format: WavFormat;
}

/**
 * Streams a WAV with only the channels `keepOf(format)` names (in that order): the rewritten header, then each
 * frame's kept samples; anything after the data chunk (a trailing LIST chunk) is not archived. `onFormat` hears the
 * format as soon as the header is read. Throws WavRefused for a body that is not PCM WAV, that ends inside its data
 * chunk, or of which nothing would be kept.
 */
export async function* keepChannels(
  body: AsyncIterable<Buffer>,
  keepOf: (format: WavFormat) => readonly number[],
): AsyncGenerator<Buffer> {
  let head = Buffer.alloc(0);
  let format: WavFormat | undefined;
  let picker: ChannelPicker | undefined;
  let dataLeft = 0;
  for await (const raw of body) {
    let piece: Buffer = raw;
    if (!format) {
      head = Buffer.concat([head, piece]);
      const read = parseWavHeader(head);
      if (!read) continue;
      format = read;
      const keep = keepOf(read);
      if (keep.some((c) => !Number.isInteger(c) || c < 0 || c >= read.channels))
        throw new WavRefused(`channels ${keep.join(", ")} are not all among the file's ${read.channels}`);
      yield keptWavHeader(read, keep.length);
      picker = new ChannelPicker(read.blockAlign, read.bitsPerSample / 8, keep);
      dataLeft = read.dataBytes;
      piece = head.subarray(read.headerBytes);
      head = Buffer.alloc(0);
    }
    if (dataLeft === 0 || !picker) continue;
    const data = piece.length > dataLeft ? piece.subarray(0, dataLeft) : piece;
    dataLeft -= data.length;
    const out = picker.push(data);
    if (out.length > 0) yield out;
  }
  if (!format) throw new WavRefused("ended before the data chunk");
  if (dataLeft > 0) throw new WavRefused(`ended ${dataLeft} bytes before the end of its data chunk`);
}
