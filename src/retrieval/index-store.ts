import type { RedisClient } from "../redis/index.js";
import type { Cursor } from "./query.js";
import { matchesFilters, participantKey, type IndexedRecording, type RecordingFilters } from "./summary.js";

/**
 * The listing index in Redis (docs/recordings-api.md "The listing index"): a summary per recording and sorted
 * sets of recording ids by start time — per team, per call, per participant, and all. Every command touches
 * one key and keys are hash-tagged, so Redis Cluster works. The summary is written before the sets, so an id
 * found in a set always has one.
 */
export interface RecordingIndex {
  put(recording: IndexedRecording): Promise<void>;
  get(recordingId: string): Promise<IndexedRecording | undefined>;
  /** Keeps the last verification's outcome on the recording's entry (the list shows it). */
  noteVerification(recordingId: string, verification: { at: string; ok: boolean }): Promise<void>;
  /**
   * Newest first; `next` is null when nothing is left to scan. `accept`, when given, is asked of each recording
   * that passes the filters (a search by name: src/directory), within the same scan budget.
   */
  list(filters: RecordingFilters, limit: number, cursor?: Cursor, accept?: Accept): Promise<ListPage>;
}

export type Accept = (recording: IndexedRecording) => boolean | Promise<boolean>;

export interface ListPage {
  items: IndexedRecording[];
  /** Where to go on from (the API hands it out sealed: query.ts cursorCodec); null when nothing is left. */
  next: Cursor | null;
  /** Candidates this page looked at (matching or not). */
  scanned: number;
}

/** Candidates one request looks at before it answers (with a cursor to continue): bounds the work per request. */
export const SCAN_BUDGET = 2_000;
const BATCH = 200;

export function indexKeys(prefix: string) {
  return {
    recording: (recordingId: string) => `${prefix}:rec:{${recordingId}}`,
    team: (team: string) => `${prefix}:rec:team:{${team}}`,
    all: `${prefix}:rec:all`,
    call: (serverCallId: string) => `${prefix}:rec:call:{${serverCallId}}`,
    participant: (participant: string) => `${prefix}:rec:participant:{${participantKey(participant)}}`,
  };
}

/** The narrowest set that holds every recording matching the filters (pure). */
export function chooseSet(keys: ReturnType<typeof indexKeys>, filters: RecordingFilters): string {
  if (filters.serverCallId !== undefined) return keys.call(filters.serverCallId);
  if (filters.participant !== undefined) return keys.participant(filters.participant);
  if (filters.team !== undefined) return keys.team(filters.team);
  return keys.all;
}

export function createRecordingIndex(
  redis: RedisClient,
  prefix: string,
  options: { scanBudget?: number } = {},
): RecordingIndex {
  const keys = indexKeys(prefix);
  const scanBudget = options.scanBudget ?? SCAN_BUDGET;
  const get = async (recordingId: string) => {
    const raw = await redis.get(keys.recording(recordingId));
    return raw ? (JSON.parse(raw) as IndexedRecording) : undefined;
  };
  return {
    async put(recording) {
      const score = Date.parse(recording.startedAt);
      await redis.set(keys.recording(recording.recordingId), JSON.stringify(recording));
      const sets = [
        keys.team(recording.team),
        keys.all,
        keys.call(recording.serverCallId),
        ...new Set(recording.participants.map((p) => keys.participant(p))),
      ];
      await Promise.all(sets.map((set) => redis.zadd(set, score, recording.recordingId)));
    },
    get,
    async noteVerification(recordingId, verification) {
      const recording = await get(recordingId);
      if (!recording) return;
      await redis.set(keys.recording(recordingId), JSON.stringify({ ...recording, lastVerification: verification }));
    },
    async list(filters, limit, cursor, accept) {
      const set = chooseSet(keys, filters);
      const min = filters.from ? String(filters.from.getTime()) : "-inf";
      const max = cursor ? String(cursor.score) : filters.to ? `(${filters.to.getTime()}` : "+inf";
      const items: IndexedRecording[] = [];
      let last: Cursor | undefined;
      let scanned = 0;
      for (let offset = 0; ; offset += BATCH) {
        const flat = await redis.zrevrangebyscore(set, max, min, "WITHSCORES", "LIMIT", offset, BATCH);
        const batch: Cursor[] = [];
        for (let i = 0; i < flat.length; i += 2) batch.push({ recordingId: flat[i]!, score: Number(flat[i + 1]) });
        // Equal start times come in descending id order: those at or above the cursor's id were on earlier pages.
        const fresh = batch.filter(
          (c) => !cursor || c.score < cursor.score || (c.score === cursor.score && c.recordingId < cursor.recordingId),
        );
        const summaries = await Promise.all(fresh.map((c) => get(c.recordingId)));
        for (const [i, candidate] of fresh.entries()) {
          last = candidate;
          scanned++;
          const summary = summaries[i];
          if (summary && matchesFilters(summary, filters) && (!accept || (await accept(summary)))) items.push(summary);
          if (items.length === limit || scanned >= scanBudget) {
            const more = i < fresh.length - 1 || batch.length === BATCH;
            return { items, next: more ? last : null, scanned };
          }
        }
        if (batch.length < BATCH) return { items, next: null, scanned };
      }
    },
  };
}
