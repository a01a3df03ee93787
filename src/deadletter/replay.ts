import type { ContainerClient } from "@azure/storage-blob";
import { parseDeadLetterBlob, recordingLikelyExpired, type DeadLetter } from "./format.js";

/** Blob metadata set once every event of a dead-letter blob was accepted: a later run skips the blob. */
export const REPLAYED_AT = "replayedat";

/** Sends one event to the webhook as Event Grid would; the HTTP status and body text. */
export type Deliver = (letter: DeadLetter) => Promise<{ status: number; body: string }>;

export interface ReplayOptions {
  /** Only blobs written (last modified) at or after this. */
  since?: Date | undefined;
  /** Only blob names starting with this (e.g. the subscription's name in capitals). */
  prefix?: string | undefined;
  /** List what would be sent, send nothing, mark nothing. */
  dryRun?: boolean | undefined;
  now?: Date;
  out: (line: string) => void;
}

export interface ReplayReport {
  blobs: { seen: number; alreadyReplayed: number; replayed: number; incomplete: number; unreadable: number };
  events: { sent: number; accepted: number; refused: number; failed: number; wouldSend: number };
}

/**
 * Sends dead-lettered events back through the webhook (its authentication, validation and de-duplication by
 * event id apply, so an event that did arrive after all is accepted and ignored). Each event goes alone, so one
 * refused event does not hold the others back; a blob is marked replayed only when all its events were accepted.
 */
export async function replayDeadLetters(
  container: ContainerClient,
  deliver: Deliver,
  options: ReplayOptions,
): Promise<ReplayReport> {
  const now = options.now ?? new Date();
  const report: ReplayReport = {
    blobs: { seen: 0, alreadyReplayed: 0, replayed: 0, incomplete: 0, unreadable: 0 },
    events: { sent: 0, accepted: 0, refused: 0, failed: 0, wouldSend: 0 },
  };
  const listing = container.listBlobsFlat({
    includeMetadata: true,
    ...(options.prefix ? { prefix: options.prefix } : {}),
  });
  for await (const item of listing) {
    if (options.since && item.properties.lastModified < options.since) continue;
    report.blobs.seen += 1;
    if (item.metadata?.[REPLAYED_AT]) {
      report.blobs.alreadyReplayed += 1;
      continue;
    }
    const blob = container.getBlockBlobClient(item.name);
    let letters: DeadLetter[];
    try {
      letters = parseDeadLetterBlob((await blob.downloadToBuffer()).toString("utf8"));
    } catch (error) {
      report.blobs.unreadable += 1;
      options.out(`${item.name}: skipped, not a dead-letter blob (${(error as Error).message})`);
      continue;
    }
    let allAccepted = true;
    for (const letter of letters) {
      const what = `${item.name}: ${letter.type} ${letter.id} (${letter.reason ?? "no reason given"})`;
      if (recordingLikelyExpired(letter, now))
        options.out(`${what}: WARNING published over 24 h ago, ACS has probably deleted this recording`);
      if (options.dryRun) {
        report.events.wouldSend += 1;
        options.out(`${what}: would be sent`);
        continue;
      }
      report.events.sent += 1;
      const answer = await deliver(letter).catch((error: unknown) => ({ status: 0, body: (error as Error).message }));
      if (answer.status >= 200 && answer.status < 300) {
        report.events.accepted += 1;
        continue;
      }
      allAccepted = false;
      // 4xx will be refused again as long as the webhook says so; anything else may pass on a later run.
      if (answer.status >= 400 && answer.status < 500) report.events.refused += 1;
      else report.events.failed += 1;
      options.out(`${what}: ${answer.status === 0 ? "not delivered" : `HTTP ${answer.status}`} ${answer.body}`.trim());
    }
    if (options.dryRun) continue;
    if (allAccepted) {
      await blob.setMetadata({
        ...item.metadata,
        [REPLAYED_AT]: now.toISOString(),
        replayedevents: String(letters.length),
      });
      report.blobs.replayed += 1;
    } else {
      report.blobs.incomplete += 1;
    }
  }
  return report;
}

/** Delivers to the webhook's Event Grid endpoint with its secret, in the event's own schema. */
export function webhookDeliverer(baseUrl: string, secret: string): Deliver {
  const url = `${baseUrl.replace(/\/$/, "")}/api/eventgrid?code=${encodeURIComponent(secret)}`;
  return async (letter) => {
    const response = await fetch(url, {
      method: "POST",
      headers: {
        "content-type":
          letter.schema === "cloudevents"
            ? "application/cloudevents-batch+json; charset=utf-8"
            : "application/json; charset=utf-8",
        "aeg-event-type": "Notification",
      },
      body: JSON.stringify([letter.event]),
      signal: AbortSignal.timeout(30_000),
    });
    return { status: response.status, body: (await response.text()).slice(0, 500) };
  };
}
