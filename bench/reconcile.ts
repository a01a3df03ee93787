/**
 * `npm run bench -- reconcile`: 100 000 call-summary records (50 000 calls, two participants each, one a team
 * member) and 45 000 recording summaries, as JSON lines the storage archive holds, parsed and reconciled against a
 * ledger of 47 500 entries (docs/reconciliation.md). Each round runs in a fresh child process, so its peak RSS
 * is that round's alone; the figures are the median of the rounds.
 */
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { LedgerEntry } from "../src/ledger/index.js";
import { parsePolicyFile } from "../src/policy/index.js";
import { parseJsonLines, reconcile, type ArchivedRecording } from "../src/reconcile/index.js";
import { writeResult, type BenchContext } from "./result.js";

const CALLS = 50_000;
const ROUNDS = 5;
const MEMBERS = 1_000;

interface RoundFigures {
  records: number;
  calls: number;
  counts: Record<string, number>;
  parseMs: number;
  reconcileMs: number;
  totalMs: number;
  baselineRssBytes: number;
  peakRssBytes: number;
}

/** The inputs, deterministic: every 20th call never reached us, every 25th lost a chunk (unless exempt or never seen), every 10th is exempt. */
function fixtures() {
  const lines: string[] = [];
  const ledger: LedgerEntry[] = [];
  const archived = new Map<string, ArchivedRecording>();
  const start = Date.parse("2026-12-04T00:00:00Z");
  for (let i = 0; i < CALLS; i++) {
    const correlationId = `corr-${i}`;
    const callStartTime = new Date(start + i * 1_000).toISOString();
    for (const identifier of [`acs:bench_member_${i % MEMBERS}`, `acs:bench_customer_${i}`])
      lines.push(
        JSON.stringify({
          time: callStartTime,
          correlationId,
          operationName: "CallSummary",
          category: "CallSummary",
          properties: {
            identifier,
            callStartTime,
            callDuration: 180,
            callType: "P2P",
            participantId: "null",
            endpointType: "VoIP",
          },
        }),
      );
    const exempt = i % 10 === 0;
    if (!exempt)
      lines.push(
        JSON.stringify({
          time: callStartTime,
          category: "CallRecordingSummary",
          properties: {
            CorrelationId: correlationId,
            RecordingId: `rec-${i}`,
            RecordingLength: "179.5",
            ChunkCount: 2,
          },
        }),
      );
    if (i % 20 === 0) continue; // never seen
    ledger.push({
      serverCallId: `server-${i}`,
      correlationId,
      outcome: exempt ? "exempt" : "recorded",
      teamId: "bench",
      updatedAt: callStartTime,
    });
    if (!exempt) archived.set(`rec-${i}`, { chunkCount: i % 25 === 0 ? 1 : 2, durationSeconds: 179 });
  }
  const members = Array.from({ length: MEMBERS }, (_, n) => `"8:acs:bench_member_${n}"`).join(", ");
  const policy = parsePolicyFile(
    "bench.yaml",
    `version: 1\nteam: { id: bench, name: Bench }\nmembers: [${members}]\nrules:\n  - id: all\n    mode: required\n`,
  );
  return { text: lines.join("\n") + "\n", ledger, archived, policies: [policy] };
}

function round(): RoundFigures {
  const input = fixtures();
  const baselineRssBytes = process.memoryUsage().rss;
  const t0 = performance.now();
  const { records, problems } = parseJsonLines(input.text, "bench");
  const t1 = performance.now();
  if (problems.length > 0) throw new Error(`unreadable bench records: ${problems.slice(0, 3).join("; ")}`);
  const report = reconcile({
    records,
    ledger: input.ledger,
    archived: input.archived,
    policies: input.policies,
    toleranceSeconds: 2,
  });
  const t2 = performance.now();
  return {
    records: records.length,
    calls: report.calls.length,
    counts: report.counts,
    parseMs: t1 - t0,
    reconcileMs: t2 - t1,
    totalMs: t2 - t0,
    baselineRssBytes,
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
  };
}

function roundInChild(): Promise<RoundFigures> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(import.meta.url), ["--round"], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
    child.once("message", (message) => resolve(message as RoundFigures));
    child.once("error", reject);
    child.once("exit", (code) => {
      if (code !== 0) reject(new Error(`bench round exited with ${code}`));
    });
  });
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

export async function runReconcileBench(context: BenchContext): Promise<void> {
  const rounds: RoundFigures[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    rounds.push(await roundInChild());
    context.say(`reconcile round ${i + 1}/${ROUNDS}: ${rounds.at(-1)!.totalMs.toFixed(0)} ms`);
  }
  const first = rounds[0]!;
  // The classification must be the one the fixtures were built for, or the timing measures something else.
  const expected = { verified: 44_000, exempt: 2_500, enforced: 0, incomplete: 1_000, "never-seen": 2_500 };
  if (JSON.stringify(first.counts) !== JSON.stringify(expected))
    throw new Error(`unexpected classification ${JSON.stringify(first.counts)}, expected ${JSON.stringify(expected)}`);
  const figures = {
    callSummaryRecords: CALLS * 2,
    records: first.records,
    calls: first.calls,
    counts: first.counts,
    rounds: ROUNDS,
    medianParseMs: Math.round(median(rounds.map((r) => r.parseMs))),
    medianReconcileMs: Math.round(median(rounds.map((r) => r.reconcileMs))),
    medianTotalMs: Math.round(median(rounds.map((r) => r.totalMs))),
    medianPeakRssMB: Math.round(median(rounds.map((r) => r.peakRssBytes)) / 1_048_576),
    medianBaselineRssMB: Math.round(median(rounds.map((r) => r.baselineRssBytes)) / 1_048_576),
    perRound: rounds.map((r) => ({
      totalMs: Math.round(r.totalMs),
      peakRssMB: Math.round(r.peakRssBytes / 1_048_576),
    })),
  };
  const path = await writeResult("reconcile", figures);
  context.say(
    `reconcile: ${figures.callSummaryRecords} call-summary records (${figures.records} in all) → ${figures.calls} calls in ${figures.medianTotalMs} ms (parse ${figures.medianParseMs} ms, classify ${figures.medianReconcileMs} ms), peak RSS ${figures.medianPeakRssMB} MB (median of ${ROUNDS}); ${path}`,
  );
}

if (process.argv.includes("--round")) {
  const figures = round();
  process.send?.(figures, () => process.exit(0));
}
