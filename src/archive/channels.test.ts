import { describe, expect, it } from "vitest";
import {
  ChannelPicker,
  keepChannels,
  keptWavHeader,
  parseWavHeader,
  selectChannels,
  WavRefused,
  type WavFormat,
} from "./channels.js";

const AGENT = "8:acs:agent";
const BOSS = "8:acs:boss";
const CUSTOMER = "4:+15125550100";
const STRANGER = "8:acs:stranger";
const members = new Set([AGENT, BOSS]);
const isOurs = (id: string) => members.has(id);

describe("selectChannels", () => {
  it.each([
    {
      name: "agent and a refusing customer: the agent's channel only",
      participants: [
        { participantId: AGENT, channel: 0 },
        { participantId: CUSTOMER, channel: 1 },
      ],
      channels: 2,
      strip: [CUSTOMER],
      kept: [[0, 0]],
      dropped: [[1, "no-consent"]],
      unplaced: [],
    },
    {
      name: "the refuser first: our channel becomes channel 0 of the archive",
      participants: [
        { participantId: CUSTOMER, channel: 0 },
        { participantId: AGENT, channel: 1 },
      ],
      channels: 2,
      strip: [CUSTOMER],
      kept: [[1, 0]],
      dropped: [[0, "no-consent"]],
      unplaced: [],
    },
    {
      name: "two members kept in order, an unknown participant and an empty channel dropped",
      participants: [
        { participantId: AGENT, channel: 0 },
        { participantId: STRANGER, channel: 1 },
        { participantId: BOSS, channel: 2 },
        { participantId: CUSTOMER, channel: 4 },
      ],
      channels: 5,
      strip: [CUSTOMER],
      kept: [
        [0, 0],
        [2, 1],
      ],
      dropped: [
        [1, "not-ours"],
        [3, "unassigned"],
        [4, "no-consent"],
      ],
      unplaced: [],
    },
    {
      name: "a member sharing a channel with someone else: dropped",
      participants: [
        { participantId: AGENT, channel: 0 },
        { participantId: STRANGER, channel: 0 },
      ],
      channels: 1,
      strip: [],
      kept: [],
      dropped: [[0, "shared"]],
      unplaced: [],
    },
    {
      name: "a member in the strip set is never kept",
      participants: [{ participantId: AGENT, channel: 0 }],
      channels: 1,
      strip: [AGENT],
      kept: [],
      dropped: [[0, "no-consent"]],
      unplaced: [],
    },
    {
      name: "no channel in the metadata, or one past the file's: unplaced",
      participants: [
        { participantId: AGENT, channel: 0 },
        { participantId: CUSTOMER },
        { participantId: STRANGER, channel: 7 },
      ],
      channels: 1,
      strip: [CUSTOMER],
      kept: [[0, 0]],
      dropped: [],
      unplaced: [CUSTOMER, STRANGER],
    },
  ])("$name", ({ participants, channels, strip, kept, dropped, unplaced }) => {
    const selection = selectChannels({ participants, channels, isOurs, strip: new Set(strip) });
    expect(selection.kept.map((k) => [k.channel, k.archivedChannel])).toEqual(kept);
    expect(selection.dropped.map((d) => [d.channel, d.why])).toEqual(dropped);
    expect(selection.unplaced).toEqual(unplaced);
  });
});

/** A PCM WAV of `frames` frames, sample (frame f, channel c) = c * 1000 + (f % 997), optionally WAVE_FORMAT_EXTENSIBLE with a LIST chunk. */
function wav(
  channels: number,
  frames: number,
  options: { extensible?: boolean; list?: boolean; trailer?: boolean } = {},
) {
  const align = channels * 2;
  const fmt = Buffer.alloc(options.extensible ? 40 : 16);
  fmt.writeUInt16LE(options.extensible ? 0xfffe : 1, 0);
  fmt.writeUInt16LE(channels, 2);
  fmt.writeUInt32LE(16_000, 4);
  fmt.writeUInt32LE(16_000 * align, 8);
  fmt.writeUInt16LE(align, 12);
  fmt.writeUInt16LE(16, 14);
  if (options.extensible) {
    fmt.writeUInt16LE(22, 16);
    fmt.writeUInt16LE(16, 18);
    fmt.writeUInt32LE(0, 20);
    fmt.writeUInt16LE(1, 24); // KSDATAFORMAT_SUBTYPE_PCM
  }
  const chunk = (id: string, body: Buffer) => {
    const h = Buffer.alloc(8);
    h.write(id, 0, "latin1");
    h.writeUInt32LE(body.length, 4);
    return Buffer.concat([h, body, body.length % 2 ? Buffer.alloc(1) : Buffer.alloc(0)]);
  };
  const data = Buffer.alloc(frames * align);
  for (let f = 0; f < frames; f++)
    for (let c = 0; c < channels; c++) data.writeInt16LE(c * 1000 + (f % 997), (f * channels + c) * 2);
  const body = Buffer.concat([
    Buffer.from("WAVE", "latin1"),
    chunk("fmt ", fmt),
    ...(options.list ? [chunk("LIST", Buffer.from("INFOISFT\x05\x00\x00\x00acs!\x00", "latin1"))] : []),
    chunk("data", data),
    ...(options.trailer ? [chunk("LIST", Buffer.from("trailing"))] : []),
  ]);
  const riff = Buffer.alloc(8);
  riff.write("RIFF", 0, "latin1");
  riff.writeUInt32LE(body.length, 4);
  return Buffer.concat([riff, body]);
}

describe("parseWavHeader", () => {
  it.each([
    { name: "canonical PCM", file: wav(2, 10), expected: { channels: 2, headerBytes: 44, dataBytes: 40 } },
    {
      name: "WAVE_FORMAT_EXTENSIBLE with a LIST chunk before data",
      file: wav(5, 3, { extensible: true, list: true }),
      expected: { channels: 5, blockAlign: 10, dataBytes: 30 },
    },
  ])("$name", ({ file, expected }) => {
    expect(parseWavHeader(file)).toMatchObject(expected);
  });

  it("asks for more bytes until the data chunk's header is in", () => {
    const file = wav(2, 10, { list: true });
    const format = parseWavHeader(file)!;
    for (let n = 0; n < format.headerBytes; n++) expect(parseWavHeader(file.subarray(0, n))).toBeUndefined();
  });

  it.each([
    ["not RIFF", Buffer.from("<html><body>error</body></html>")],
    [
      "a float format",
      (() => {
        const f = wav(1, 2);
        f.writeUInt16LE(3, 20);
        return f;
      })(),
    ],
    [
      "an unknown data size",
      (() => {
        const f = wav(1, 2);
        f.writeUInt32LE(0xffffffff, 40);
        return f;
      })(),
    ],
    [
      "a data size of part frames",
      (() => {
        const f = wav(2, 2);
        f.writeUInt32LE(7, 40);
        return f;
      })(),
    ],
    [
      "an inconsistent block align",
      (() => {
        const f = wav(2, 2);
        f.writeUInt16LE(2, 32);
        return f;
      })(),
    ],
  ])("refuses %s", (_name, file) => {
    expect(() => parseWavHeader(file)).toThrow(WavRefused);
  });
});

describe("keptWavHeader", () => {
  const format: WavFormat = {
    channels: 5,
    sampleRate: 16_000,
    bitsPerSample: 16,
    blockAlign: 10,
    headerBytes: 80,
    dataBytes: 10 * 1600,
  };
  it.each([
    { kept: 1, align: 2, rate: 32_000, data: 3200 },
    { kept: 2, align: 4, rate: 64_000, data: 6400 },
    { kept: 5, align: 10, rate: 160_000, data: 16_000 },
  ])("$kept of 5 channels: align $align, byte rate $rate, data $data", ({ kept, align, rate, data }) => {
    const h = keptWavHeader(format, kept);
    expect(h.length).toBe(44);
    expect(h.toString("latin1", 0, 4)).toBe("RIFF");
    expect(h.readUInt32LE(4)).toBe(36 + data);
    expect(h.readUInt16LE(20)).toBe(1);
    expect(h.readUInt16LE(22)).toBe(kept);
    expect(h.readUInt32LE(24)).toBe(16_000);
    expect(h.readUInt32LE(28)).toBe(rate);
    expect(h.readUInt16LE(32)).toBe(align);
    expect(h.readUInt16LE(34)).toBe(16);
    expect(h.readUInt32LE(40)).toBe(data);
    expect(parseWavHeader(h)).toMatchObject({ channels: kept, blockAlign: align, dataBytes: data, headerBytes: 44 });
  });
  it("refuses to keep nothing", () => expect(() => keptWavHeader(format, 0)).toThrow(WavRefused));
});

/** A deterministic PRNG (mulberry32), so a failing split is reproducible from its seed. */
function random(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `bytes` cut at random places (pieces of 1 to `max` bytes). */
function split(bytes: Buffer, next: () => number, max: number): Buffer[] {
  const pieces: Buffer[] = [];
  for (let at = 0; at < bytes.length;) {
    const n = 1 + Math.floor(next() * max);
    pieces.push(bytes.subarray(at, at + n));
    at += n;
  }
  return pieces;
}

/** What keeping `keep` must give: sample (f, i) = keep[i] * 1000 + (f % 997). */
function samplesOf(data: Buffer, channels: number) {
  const out: number[][] = Array.from({ length: channels }, () => []);
  for (let i = 0; i < data.length / 2; i++) out[i % channels]!.push(data.readInt16LE(i * 2));
  return out;
}

describe("ChannelPicker", () => {
  it("gives the same frames however the body is cut (property, 200 random splits)", () => {
    const next = random(20);
    for (let round = 0; round < 200; round++) {
      const channels = 1 + Math.floor(next() * 5);
      const keep = [...Array(channels).keys()].filter(() => next() < 0.5);
      if (keep.length === 0) keep.push(channels - 1);
      const frames = Math.floor(next() * 300);
      const data = wav(channels, frames).subarray(44);
      const picker = new ChannelPicker(channels * 2, 2, keep);
      const out = Buffer.concat(split(data, next, 1 + Math.floor(next() * 40)).map((p) => picker.push(p)));
      expect(picker.pending).toBe(0);
      const got = samplesOf(out, keep.length);
      keep.forEach((c, i) =>
        expect(got[i] ?? [], `round ${round}`).toEqual(Array.from({ length: frames }, (_, f) => c * 1000 + (f % 997))),
      );
    }
  });

  it("holds back a frame split across pieces until it is whole", () => {
    const picker = new ChannelPicker(6, 2, [2]);
    const frame = Buffer.from([1, 0, 2, 0, 3, 0]);
    expect(picker.push(frame.subarray(0, 1)).length).toBe(0);
    expect(picker.push(frame.subarray(1, 5)).length).toBe(0);
    expect(picker.pending).toBe(5);
    expect([...picker.push(frame.subarray(5))]).toEqual([3, 0]);
    expect(picker.pending).toBe(0);
  });
});

async function collect(source: AsyncIterable<Buffer>) {
  const parts: Buffer[] = [];
  for await (const piece of source) parts.push(piece);
  return Buffer.concat(parts);
}

async function* from(pieces: Buffer[]) {
  for (const piece of pieces) yield piece;
}

describe("keepChannels", () => {
  it.each([
    { channels: 2, keep: [0], options: {} },
    { channels: 5, keep: [1, 3], options: { extensible: true, list: true } },
    { channels: 3, keep: [2, 0], options: { trailer: true } },
  ])("keeps $keep of $channels channels into a valid WAV, cut anywhere", async ({ channels, keep, options }) => {
    const frames = 1234;
    const source = wav(channels, frames, options);
    const next = random(channels);
    for (const max of [1, 7, 45, 4096]) {
      const out = await collect(keepChannels(from(split(source, next, max)), () => keep));
      const format = parseWavHeader(out)!;
      expect(format).toMatchObject({ channels: keep.length, blockAlign: keep.length * 2, headerBytes: 44 });
      expect(out.length).toBe(44 + format.dataBytes);
      expect(format.dataBytes).toBe(frames * keep.length * 2);
      const got = samplesOf(out.subarray(44), keep.length);
      keep.forEach((c, i) => expect(got[i]?.slice(0, 5)).toEqual([0, 1, 2, 3, 4].map((f) => c * 1000 + f)));
      keep.forEach((c, i) => expect(got[i]?.[frames - 1]).toBe(c * 1000 + ((frames - 1) % 997)));
    }
  });

  it("refuses a body that ends inside its data chunk, and a channel the file does not have", async () => {
    const source = wav(2, 100);
    await expect(collect(keepChannels(from([source.subarray(0, 100)]), () => [0]))).rejects.toThrow(/before the end/);
    await expect(collect(keepChannels(from([source]), () => [2]))).rejects.toThrow(WavRefused);
    await expect(collect(keepChannels(from([source]), () => []))).rejects.toThrow(/no channel/);
  });
});
