import type { ContainerClient } from "@azure/storage-blob";
import type { RetentionPort } from "../archive/index.js";
import type { TeamPolicy } from "../policy/index.js";
import type { RedisClient } from "../redis/index.js";
import { readManifest, type RecordingIndex } from "../retrieval/index.js";
import { createReviewArchive } from "./archive.js";
import { createReviewIndex } from "./index-store.js";
import { createReviewQueue } from "./queue-store.js";
import type { Scorecard } from "./scorecard.js";
import type { FillDependencies, ManifestFacts, RecordingRef, ReviewStores } from "./service.js";

/** What a recording's manifest tells reviews: its protection (a review is kept as long) and whether it holds a pause. */
export async function manifestFacts(
  container: ContainerClient,
  recording: RecordingRef,
): Promise<ManifestFacts | undefined> {
  const read = await readManifest(container, recording.manifestBlob);
  const manifest = read?.manifest;
  if (!manifest) return undefined;
  return {
    retainUntil: manifest.policy.retainUntil ?? null,
    legalHold: manifest.policy.legalHold,
    paused: manifest.pauses.length > 0,
  };
}

/** The review stores of a process: the archive container (the truth), Redis (index and queue), the team files. */
export function createReviewStores(adapters: {
  redis: RedisClient;
  prefix: string;
  container: ContainerClient;
  retention: RetentionPort;
  scorecards: () => ReadonlyMap<string, Scorecard>;
  policies: () => readonly TeamPolicy[];
}): ReviewStores {
  return {
    archive: createReviewArchive(adapters.container, adapters.retention),
    index: createReviewIndex(adapters.redis, adapters.prefix),
    queue: createReviewQueue(adapters.redis, adapters.prefix),
    scorecards: adapters.scorecards,
    policies: adapters.policies,
    manifest: (recording) => manifestFacts(adapters.container, recording),
  };
}

/** A team's recordings that started at or after `since`, oldest first, from the recordings index. */
export function recordingsSince(index: Pick<RecordingIndex, "list">): FillDependencies["recordingsSince"] {
  return async (team, since) => {
    const found: RecordingRef[] = [];
    let cursor;
    do {
      const page = await index.list({ team, from: since }, 500, cursor ?? undefined);
      found.push(...page.items);
      cursor = page.next;
    } while (cursor);
    return found.reverse();
  };
}
