// A strict reader of the canonical 44-byte RIFF/WAVE PCM header, independent of the writer.

export interface WavInfo {
  audioFormat: number;
  channels: number;
  sampleRate: number;
  byteRate: number;
  blockAlign: number;
  bitsPerSample: number;
  dataBytes: number;
  riffSize: number;
}

export function parseWavHeader(buf: Buffer): WavInfo {
  if (buf.length < 44) throw new Error("shorter than a WAV header");
  if (buf.toString("ascii", 0, 4) !== "RIFF" || buf.toString("ascii", 8, 12) !== "WAVE")
    throw new Error("not RIFF/WAVE");
  if (buf.toString("ascii", 12, 16) !== "fmt " || buf.readUInt32LE(16) !== 16) throw new Error("no PCM fmt chunk");
  if (buf.toString("ascii", 36, 40) !== "data") throw new Error("no data chunk at 36");
  return {
    riffSize: buf.readUInt32LE(4),
    audioFormat: buf.readUInt16LE(20),
    channels: buf.readUInt16LE(22),
    sampleRate: buf.readUInt32LE(24),
    byteRate: buf.readUInt32LE(28),
    blockAlign: buf.readUInt16LE(32),
    bitsPerSample: buf.readUInt16LE(34),
    dataBytes: buf.readUInt32LE(40),
  };
}

/** Root-mean-square level of one channel over the data bytes given (whole frames). */
export function channelRms(data: Buffer, channels: number, channel: number): number {
  let sum = 0;
  let n = 0;
  for (let off = channel * 2; off + 1 < data.length; off += channels * 2) {
    const v = data.readInt16LE(off);
    sum += v * v;
    n++;
  }
  return n ? Math.sqrt(sum / n) : 0;
}
