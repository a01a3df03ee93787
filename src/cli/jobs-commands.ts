import type { Queue } from "bullmq";
import type { Output } from "./policy-commands.js";

// `recorder jobs failed | retry`: the dead-letter view. A job that used up its attempts stays in BullMQ's
// failed set (removeOnFail: false), with its reason and payload, until someone replays it.

export interface FailedJob {
  queue: string;
  id: string;
  name: string;
  attemptsMade: number;
  failedReason: string;
  failedAt: string | null;
  /** The call and recording it was about, when its payload says. */
  serverCallId: string | null;
  recordingId: string | null;
}

const field = (data: unknown, key: string): string | null => {
  if (typeof data !== "object" || data === null) return null;
  const value = (data as Record<string, unknown>)[key];
  return typeof value === "string" ? value : null;
};

export async function listFailed(queues: readonly Queue[], limit = 1000): Promise<FailedJob[]> {
  const all: FailedJob[] = [];
  for (const queue of queues) {
    for (const job of await queue.getFailed(0, limit - 1)) {
      if (!job?.id) continue;
      // call-event jobs carry the ACS event: its data names the call.
      const eventData = (job.data as { event?: { data?: unknown } } | undefined)?.event?.data;
      all.push({
        queue: queue.name,
        id: job.id,
        name: job.name,
        attemptsMade: job.attemptsMade,
        failedReason: job.failedReason ?? "",
        failedAt: job.finishedOn ? new Date(job.finishedOn).toISOString() : null,
        serverCallId: field(job.data, "serverCallId") ?? field(eventData, "serverCallId"),
        recordingId: field(job.data, "recordingId"),
      });
    }
  }
  return all.sort((a, b) => (a.failedAt ?? "").localeCompare(b.failedAt ?? ""));
}

/** Moves failed jobs (the given ids, or all) back to waiting, attempts reset. Returns the ids replayed. */
export async function retryFailed(queues: readonly Queue[], ids: readonly string[] | "all"): Promise<string[]> {
  const replayed: string[] = [];
  for (const queue of queues) {
    for (const job of await queue.getFailed(0, -1)) {
      if (!job?.id || (ids !== "all" && !ids.includes(job.id))) continue;
      await job.retry("failed", { resetAttemptsMade: true });
      replayed.push(job.id);
    }
  }
  return replayed;
}

export async function failedCommand(
  queues: readonly Queue[],
  options: { json?: boolean },
  io: Output,
): Promise<number> {
  const failed = await listFailed(queues);
  if (options.json) {
    for (const job of failed) io.out(JSON.stringify(job));
    return 0;
  }
  if (failed.length === 0) io.out("no failed jobs");
  for (const job of failed)
    io.out(
      `${job.failedAt ?? "-"}  ${job.queue}/${job.name}  ${job.id}  attempts=${job.attemptsMade}` +
        `${job.serverCallId ? `  call=${job.serverCallId}` : ""}${job.recordingId ? `  recording=${job.recordingId}` : ""}` +
        `  ${job.failedReason}`,
    );
  return 0;
}

export async function retryCommand(
  queues: readonly Queue[],
  options: { all?: boolean; ids: string[] },
  io: Output,
): Promise<number> {
  if (!options.all && options.ids.length === 0) {
    io.err("name the job ids to retry, or --all");
    return 2;
  }
  const replayed = await retryFailed(queues, options.all ? "all" : options.ids);
  for (const id of replayed) io.out(`retried ${id}`);
  const missing = options.all ? [] : options.ids.filter((id) => !replayed.includes(id));
  for (const id of missing) io.err(`no failed job ${id}`);
  return missing.length > 0 ? 1 : 0;
}
