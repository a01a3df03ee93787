import { z } from "zod";
import type { RedisClient } from "../redis/index.js";
import { STATUSES, type ReconcileStatus, type ReconciledCall } from "./classify.js";
import type { ReconcileRun } from "./run.js";

/**
 * The last scheduled run, kept for the API (docs/reconciliation.md "API"): its counts per team, and the calls
 * that are not verified (those a person looks at; verified ones are counted, not listed). One Redis key,
 * overwritten by each run.
 */
export interface StoredReconciliation {
  window: { from: string; to: string };
  finishedAt: string;
  counts: Record<ReconcileStatus, number>;
  countsByTeam: Record<string, Record<ReconcileStatus, number>>;
  problems: string[];
  /** Calls that are not `verified`, oldest first (at most MAX_LISTED). */
  calls: ReconciledCall[];
  /** How many calls were left out of `calls` for size. */
  callsLeftOut: number;
}

export const MAX_LISTED = 10_000;
const MAX_PROBLEMS = 100;

const zero = () => Object.fromEntries(STATUSES.map((s) => [s, 0])) as Record<ReconcileStatus, number>;

/** What is kept of a run (pure). */
export function storedOf(run: ReconcileRun, finishedAt: Date): StoredReconciliation {
  const countsByTeam: Record<string, Record<ReconcileStatus, number>> = {};
  for (const call of run.calls) for (const team of call.teams) (countsByTeam[team] ??= zero())[call.status]++;
  const exceptions = run.calls.filter((call) => call.status !== "verified");
  return {
    window: run.window,
    finishedAt: finishedAt.toISOString(),
    counts: run.counts,
    countsByTeam,
    problems: run.problems.slice(0, MAX_PROBLEMS),
    calls: exceptions.slice(0, MAX_LISTED),
    callsLeftOut: Math.max(0, exceptions.length - MAX_LISTED),
  };
}

/** What one team may see of it: its own calls and counts only; nothing of other teams, not even their names. */
export function forTeam(stored: StoredReconciliation, team: string): StoredReconciliation {
  const calls = stored.calls.filter((call) => call.teams.includes(team)).map((call) => ({ ...call, teams: [team] }));
  const counts = stored.countsByTeam[team] ?? zero();
  return {
    ...stored,
    counts,
    countsByTeam: { [team]: counts },
    // Problems name blobs and lines, not teams: a team sees that the run could not read everything.
    calls,
    callsLeftOut: stored.callsLeftOut,
  };
}

const storedSchema = z.looseObject({
  window: z.object({ from: z.string(), to: z.string() }),
  finishedAt: z.string(),
  counts: z.record(z.string(), z.number()),
  countsByTeam: z.record(z.string(), z.record(z.string(), z.number())),
  problems: z.array(z.string()),
  calls: z.array(z.looseObject({ correlationId: z.string(), status: z.enum(STATUSES), teams: z.array(z.string()) })),
  callsLeftOut: z.number(),
});

export interface ReconcileReports {
  save(stored: StoredReconciliation): Promise<void>;
  latest(): Promise<StoredReconciliation | undefined>;
}

export function createReconcileReports(redis: RedisClient, prefix: string): ReconcileReports {
  const key = `${prefix}:reconcile:latest`;
  return {
    async save(stored) {
      await redis.set(key, JSON.stringify(stored));
    },
    async latest() {
      const raw = await redis.get(key);
      return raw ? (storedSchema.parse(JSON.parse(raw)) as unknown as StoredReconciliation) : undefined;
    },
  };
}
