// What a platform engineer sees of one recorded call: metrics (per process and cluster-wide), readiness with
// the workers alive, and a log story in which every line names the call (and its recording once known).
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ALICE, BOB, eventually, startStack, type Stack } from "../support/stack.js";

type LogLine = Record<string, unknown> & { msg?: string; time?: number };
const lines: LogLine[] = [];
const capture = new Writable({
  write(chunk: Buffer, _encoding, done) {
    for (const text of chunk.toString("utf8").split("\n")) if (text.trim()) lines.push(JSON.parse(text) as LogLine);
    done();
  },
});

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ env: { LOG_LEVEL: "debug" }, logDestination: capture });
});
afterAll(async () => {
  await stack?.stop();
});

const scrape = async () => (await fetch(`${stack.opsUrl}/metrics`)).text();
/** The value of one sample line (name with labels exactly as written), or undefined. */
const sample = (text: string, series: string) => {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
};

describe("observability of a recorded call", () => {
  it(
    "counts it in /metrics, reports workers in /readyz, and logs its whole story with its ids",
    { timeout: 120_000 },
    async () => {
      const before = await scrape();
      const { serverCallId, correlationId } = await stack.simulator.placeCall({
        from: ALICE,
        to: BOB,
        durationMs: 120_000, // ended below, once its recording is seen (a loaded machine may take long to get there)
      });

      // While the call is recorded, the cluster-wide gauge sees it.
      await eventually(
        async () => ((sample(await scrape(), "recordings_active") ?? 0) >= 1 ? true : undefined),
        30_000,
        "recordings_active ≥ 1",
      );
      // The story below includes the announcement: end the call once it has played.
      await eventually(
        async () => (await stack.runtime.sessions.get(serverCallId)).announcement?.status === "played" || undefined,
        30_000,
        "the announcement to have played",
      );
      await stack.simulator.endCall(serverCallId);

      const manifest = await eventually(
        async () =>
          (await stack.runtime.sessions.get(serverCallId)).ended
            ? lines.find((l) => l.msg === "recording manifest written" && l.serverCallId === serverCallId)
            : undefined,
        60_000,
        "the recording manifest",
      );
      const recordingId = manifest.recordingId as string;
      expect(recordingId).toBeTruthy();

      const after = await scrape();
      const grew = (series: string) => (sample(after, series) ?? 0) - (sample(before, series) ?? 0);
      expect(grew('policy_decisions_total{record="yes",reason="required"}')).toBe(1);
      expect(grew('recording_time_to_start_seconds_count{from="call-started"}')).toBe(1);
      expect(grew("ingest_bytes_total")).toBeGreaterThan(0);
      expect(grew('ingest_chunk_duration_seconds_count{outcome="fresh"}')).toBe(1);
      expect(grew("ingest_deadline_slack_seconds_count")).toBe(1);
      // Archived seconds after the event: the slack is nearly the whole 24 h.
      expect(grew('ingest_deadline_slack_seconds_bucket{le="79200"}')).toBe(0);
      expect(
        grew('intake_events_total{channel="eventgrid",type="Microsoft.Communication.CallStarted",outcome="stored"}'),
      ).toBeGreaterThanOrEqual(1);
      // The manifest is written inside the chunk's job, which completes just after.
      await eventually(
        async () =>
          (sample(await scrape(), 'queue_jobs{queue="ingest",state="completed"}') ?? 0) >= 1 ? true : undefined,
        10_000,
        "the ingest job counted completed",
      );
      expect(sample(after, 'queue_jobs{queue="call-events",state="failed"}')).toBe(0);
      expect(sample(after, "workers_alive")).toBeGreaterThanOrEqual(1);
      expect(sample(after, "intake_outbox_entries")).toBeGreaterThanOrEqual(0);
      expect(sample(after, "intake_quarantined_deliveries")).toBe(0);
      // The durability mode in force (INTAKE_DURABILITY; memory outside production by default).
      expect(sample(after, 'intake_durability{mode="memory"}')).toBe(1);
      // The call ended: it no longer counts as recording.
      await eventually(
        async () => (sample(await scrape(), "recordings_active") === 0 ? true : undefined),
        10_000,
        "recordings_active back to 0",
      );

      const ready = (await (await fetch(`${stack.opsUrl}/readyz`)).json()) as {
        ready: boolean;
        info: {
          workers: { alive: number; workers: { id: string }[] };
          intake: { durability: string; redis: { nodes: { maxmemoryPolicy: string }[] } };
        };
      };
      expect(ready.ready).toBe(true);
      expect(ready.info.workers.alive).toBeGreaterThanOrEqual(1);
      // The durability mode, and Redis's eviction policy as read at start.
      expect(ready.info.intake.durability).toBe("memory");
      expect(ready.info.intake.redis.nodes).toEqual([expect.objectContaining({ maxmemoryPolicy: "noeviction" })]);

      // The story: every line that mentions the call carries its ids at the top level.
      const story = lines.filter((l) => {
        const text = JSON.stringify(l);
        return text.includes(serverCallId) || text.includes(correlationId) || text.includes(recordingId);
      });
      expect(story.length).toBeGreaterThanOrEqual(8);
      const missing = story.filter((l) => l.serverCallId !== serverCallId || l.correlationId !== correlationId);
      expect(missing.map((l) => l.msg)).toEqual([]);
      // Once the recording exists, its lines name it too (job context completed from the session).
      const afterRecording = [
        "recording state changed",
        "recording announcement played",
        "our call connection ended",
        "recording ready: ingest queued",
        "chunk archived",
        "recording manifest written",
      ];
      const seen = story.filter((l) => afterRecording.includes(l.msg ?? ""));
      expect(new Set(seen.map((l) => l.msg))).toEqual(new Set(afterRecording));
      expect(seen.filter((l) => l.recordingId !== recordingId).map((l) => l.msg)).toEqual([]);
      // Nothing secret on the way.
      expect(JSON.stringify(lines)).not.toContain(stack.env.EVENTGRID_SECRET);
    },
  );
});
