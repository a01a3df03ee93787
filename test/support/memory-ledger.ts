import {
  isGap,
  isQuarantineGap,
  type Ledger,
  type LedgerAction,
  type LedgerEntry,
  type LedgerRecording,
  type LedgerStop,
  type QuarantineEntry,
} from "../../src/ledger/index.js";

/**
 * The completeness ledger in memory, for tests that run jobs without Redis's ledger (the worker's ledger is always
 * required). It keeps the rules of src/ledger/store.ts that a job's outcome depends on: `recorded` is final, a
 * `failed` call is never turned back into `pending`, each archived recording is kept on its own, actions append,
 * a recording's stop on purpose is noted once, and a quarantined recording is put on record once.
 */
export function createMemoryLedger(): Ledger {
  const entries = new Map<string, Omit<LedgerEntry, "actions" | "recordings" | "stops">>();
  const stops = new Map<string, Map<string, LedgerStop>>();
  const actions = new Map<string, LedgerAction[]>();
  const recordings = new Map<string, Map<string, LedgerRecording>>();
  const changedAt = new Map<string, number>();
  const quarantined = new Map<string, QuarantineEntry>();

  const get = async (serverCallId: string): Promise<LedgerEntry | undefined> => {
    const taken = actions.get(serverCallId) ?? [];
    const archived = [...(recordings.get(serverCallId)?.values() ?? [])].sort(
      (a, b) => a.at.localeCompare(b.at) || a.recordingId.localeCompare(b.recordingId),
    );
    const stopped = [...(stops.get(serverCallId)?.values() ?? [])].sort((a, b) => a.at.localeCompare(b.at));
    const extra = {
      ...(taken.length > 0 ? { actions: [...taken] } : {}),
      ...(archived.length > 0 ? { recordings: archived } : {}),
      ...(stopped.length > 0 ? { stops: stopped } : {}),
    };
    const stored = entries.get(serverCallId);
    if (stored) return { ...stored, ...extra };
    const last = [...taken, ...stopped].sort((a, b) => a.at.localeCompare(b.at)).at(-1);
    return last
      ? { serverCallId, outcome: "pending", reason: "call in progress", updatedAt: last.at, ...extra }
      : undefined;
  };
  const since = async (from: Date): Promise<LedgerEntry[]> => {
    const ids = [...changedAt].filter(([, at]) => at >= from.getTime()).sort((a, b) => a[1] - b[1]);
    const found = await Promise.all(ids.map(([id]) => get(id)));
    return found.filter((entry): entry is LedgerEntry => entry !== undefined);
  };
  return {
    async record(update) {
      const now = new Date();
      if (update.outcome === "recorded" && update.recordingId && update.manifest) {
        const own = recordings.get(update.serverCallId) ?? new Map<string, LedgerRecording>();
        if (!own.has(update.recordingId))
          own.set(update.recordingId, {
            recordingId: update.recordingId,
            manifest: update.manifest,
            at: now.toISOString(),
          });
        recordings.set(update.serverCallId, own);
      }
      const current = entries.get(update.serverCallId);
      if (current?.outcome === "recorded" && update.outcome !== "recorded") return;
      if (current?.outcome === "failed" && update.outcome === "pending") return;
      entries.set(update.serverCallId, { ...current, ...update, updatedAt: now.toISOString() });
      changedAt.set(update.serverCallId, now.getTime());
    },
    get,
    async noteAction(serverCallId, action) {
      actions.set(serverCallId, [...(actions.get(serverCallId) ?? []), action]);
      changedAt.set(serverCallId, Date.parse(action.at));
    },
    async noteStop(serverCallId, stop) {
      const own = stops.get(serverCallId) ?? new Map<string, LedgerStop>();
      if (!own.has(stop.recordingId)) own.set(stop.recordingId, stop);
      stops.set(serverCallId, own);
      changedAt.set(serverCallId, Date.parse(stop.at));
    },
    since,
    async gaps(from, now, graceMs) {
      return (await since(from)).filter((entry) => isGap(entry, now, graceMs));
    },
    async quarantine(entry) {
      if (quarantined.has(entry.recordingId)) return false;
      const at = new Date().toISOString();
      quarantined.set(entry.recordingId, { ...entry, state: "archiving", quarantinedAt: at, updatedAt: at });
      return true;
    },
    async updateQuarantine(recordingId, change) {
      const current = quarantined.get(recordingId);
      if (!current) return undefined;
      const state = current.state === "assigned" ? "assigned" : (change.state ?? current.state);
      const next: QuarantineEntry = { ...current, ...change, state, updatedAt: new Date().toISOString() };
      quarantined.set(recordingId, next);
      return next;
    },
    async getQuarantine(recordingId) {
      return quarantined.get(recordingId);
    },
    async quarantineGaps(from) {
      return [...quarantined.values()]
        .filter((entry) => Date.parse(entry.quarantinedAt) >= from.getTime() && isQuarantineGap(entry))
        .sort((a, b) => a.quarantinedAt.localeCompare(b.quarantinedAt));
    },
  };
}
