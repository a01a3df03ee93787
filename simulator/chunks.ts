// Splits a stopped recording's audio into chunks and places each chunk (and each pause) on the wall
// clock, for the metadata documents. Pure: no I/O, no clock.
import { SAMPLE_RATE } from "./wav.js";

export interface RecordingTimeline {
  activatedAt: Date;
  stoppedAt: Date;
  /** Closed pause intervals, in order. */
  pauses: { start: Date; end: Date }[];
  /** Total audio to produce (the unpaused time, or the scenario's override). */
  totalMs: number;
  chunkMaxMs: number;
  /** Hard cap from the file format (RIFF sizes are 32-bit). */
  maxFramesPerChunk: number;
}

export interface ChunkPlan {
  index: number;
  frames: number;
  durationMs: number;
  startTime: Date;
  pauseResumeIntervals: { startTime: string; duration: number }[];
  endReason: "SessionEnded" | "ChunkMaximumSizeExceeded";
}

interface Stretch {
  wallStart: number;
  audioStart: number;
  length: number;
}

function stretches(t: RecordingTimeline): Stretch[] {
  const out: Stretch[] = [];
  let wall = t.activatedAt.getTime();
  let audio = 0;
  for (const p of t.pauses) {
    const length = Math.max(0, p.start.getTime() - wall);
    out.push({ wallStart: wall, audioStart: audio, length });
    audio += length;
    wall = Math.max(wall, p.end.getTime());
  }
  out.push({ wallStart: wall, audioStart: audio, length: Math.max(0, t.stoppedAt.getTime() - wall) });
  return out;
}

/** Wall-clock time at which audio offset `ms` was recorded (extrapolated past the end for overrides). */
function wallAt(all: Stretch[], ms: number): number {
  for (const s of all) if (ms < s.audioStart + s.length) return s.wallStart + (ms - s.audioStart);
  const last = all[all.length - 1];
  return last ? last.wallStart + (ms - last.audioStart) : 0;
}

export function planChunks(t: RecordingTimeline): ChunkPlan[] {
  const totalFrames = Math.round((t.totalMs * SAMPLE_RATE) / 1000);
  if (totalFrames <= 0) return [];
  const perChunk = Math.max(1, Math.min(Math.round((t.chunkMaxMs * SAMPLE_RATE) / 1000), t.maxFramesPerChunk));
  const all = stretches(t);
  // Each pause sits at the audio offset where it began; it belongs to the chunk containing that offset.
  const pauses = t.pauses.map((p, i) => ({
    audioAt: (all[i]?.audioStart ?? 0) + (all[i]?.length ?? 0),
    startTime: p.start.toISOString(),
    duration: p.end.getTime() - p.start.getTime(),
  }));
  const plans: ChunkPlan[] = [];
  for (let first = 0, index = 0; first < totalFrames; first += perChunk, index++) {
    const frames = Math.min(perChunk, totalFrames - first);
    const startMs = (first * 1000) / SAMPLE_RATE;
    const endMs = ((first + frames) * 1000) / SAMPLE_RATE;
    const last = first + frames >= totalFrames;
    plans.push({
      index,
      frames,
      durationMs: Math.round((frames * 1000) / SAMPLE_RATE),
      startTime: new Date(wallAt(all, startMs)),
      pauseResumeIntervals: pauses
        .filter((p) => p.audioAt >= startMs && (p.audioAt < endMs || last))
        .map(({ startTime, duration }) => ({ startTime, duration })),
      endReason: last ? "SessionEnded" : "ChunkMaximumSizeExceeded",
    });
  }
  return plans;
}
