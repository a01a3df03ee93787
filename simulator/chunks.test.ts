import { describe, expect, it } from "vitest";
import { planChunks } from "./chunks.js";
import { assignChannels } from "./recordings.js";

const t0 = new Date("2026-01-01T10:00:00.000Z");
const at = (ms: number) => new Date(t0.getTime() + ms);

describe("planChunks", () => {
  it("produces nothing for an empty recording", () => {
    expect(
      planChunks({ activatedAt: t0, stoppedAt: t0, pauses: [], totalMs: 0, chunkMaxMs: 1000, maxFramesPerChunk: 1e9 }),
    ).toEqual([]);
  });

  it("splits by the chunk maximum and places chunks and pauses on the wall clock", () => {
    // Recorded 0–1000, paused 1000–3000, recorded 3000–5500: 3500 ms of audio.
    const plans = planChunks({
      activatedAt: t0,
      stoppedAt: at(5500),
      pauses: [{ start: at(1000), end: at(3000) }],
      totalMs: 3500,
      chunkMaxMs: 1500,
      maxFramesPerChunk: 1e9,
    });
    expect(plans.map((p) => [p.index, p.durationMs, p.startTime.toISOString(), p.endReason])).toEqual([
      [0, 1500, at(0).toISOString(), "ChunkMaximumSizeExceeded"],
      [1, 1500, at(3500).toISOString(), "ChunkMaximumSizeExceeded"],
      [2, 500, at(5000).toISOString(), "SessionEnded"],
    ]);
    expect(plans.map((p) => p.pauseResumeIntervals)).toEqual([
      [{ startTime: at(1000).toISOString(), duration: 2000 }],
      [],
      [],
    ]);
  });

  it("honours the format's frame cap", () => {
    const plans = planChunks({
      activatedAt: t0,
      stoppedAt: at(1000),
      pauses: [],
      totalMs: 1000,
      chunkMaxMs: 1e9,
      maxFramesPerChunk: 4000,
    });
    expect(plans.map((p) => p.frames)).toEqual([4000, 4000, 4000, 4000]);
  });
});

describe("assignChannels", () => {
  const ps = ["a", "b", "c", "d", "e", "f"];
  it.each([
    [{}, { a: 0, b: 1, c: 2, d: 3, e: 4 }],
    [{ ordering: ["c", "x"] }, { c: 0, a: 1, b: 2, d: 3, e: 4 }],
    [
      { affinity: [{ channel: 0, participant: "f" }], ordering: ["b"] },
      { f: 0, b: 1, a: 2, c: 3, d: 4 },
    ],
    [{ affinity: [{ channel: 4, participant: "a" }] }, { a: 4, b: 0, c: 1, d: 2, e: 3 }],
  ])("%j", (o: { ordering?: string[]; affinity?: { channel: number; participant: string }[] }, expected) => {
    const map = assignChannels(ps, {
      audioChannelParticipantOrdering: o.ordering ?? [],
      channelAffinity: o.affinity ?? [],
    });
    expect(Object.fromEntries(map)).toEqual(expected);
  });
});
