/**
 * The reviews shell (docs/reviews.md): submitting a version (archive first, then the index and the queue),
 * filling the queue from newly archived recordings, rebuilding the index from the archive, and reports. Access
 * and audit are the caller's (src/http/reviews-api.ts asks src/auth and notes every request); this module is
 * given a recording only once the caller may see it.
 */
import { randomUUID } from "node:crypto";
import { isMember, type TeamPolicy } from "../policy/index.js";
import type { LedgerEntry } from "../ledger/index.js";
import { ReviewConflict, type ReviewArchive, type StoredVersion } from "./archive.js";
import type { IndexedReview, ReviewIndex } from "./index-store.js";
import { itemAfterReview, itemAssigned, itemStarted, type QueueItem } from "./queue.js";
import type { ReviewQueue } from "./queue-store.js";
import { reviewReport, type ReportRow } from "./report.js";
import { buildReview, parseReviewBlobName, reviewBlobName, type Submission } from "./review.js";
import { nextReviewer, selectForReview, type Candidate } from "./sampling.js";
import type { Scorecard } from "./scorecard.js";

/** A refusal the API answers with its status and message (Koa style: `expose`). */
export class ReviewRefused extends Error {
  readonly expose = true;
  constructor(
    readonly status: 400 | 404 | 409,
    message: string,
  ) {
    super(message);
    this.name = "ReviewRefused";
  }
}

/** What reviews need of an archived recording (src/retrieval's IndexedRecording has it all). */
export interface RecordingRef {
  recordingId: string;
  serverCallId: string;
  team: string;
  startedAt: string;
  participants: string[];
  manifestBlob: string;
}

/** What reviews need of a recording's manifest: its protection, and whether it holds a pause. */
export interface ManifestFacts {
  retainUntil: string | null;
  legalHold: boolean;
  paused: boolean;
}

export interface ReviewStores {
  archive: ReviewArchive;
  index: ReviewIndex;
  queue: ReviewQueue;
  scorecards: () => ReadonlyMap<string, Scorecard>;
  policies: () => readonly TeamPolicy[];
  manifest: (recording: RecordingRef) => Promise<ManifestFacts | undefined>;
  now?: () => Date;
}

/**
 * The team member on the call, who the review is about: the first of the recording's participants (sorted) the
 * team's policy names as a member; "unknown" when none is (docs/reviews.md "Agents").
 */
export function agentOf(
  recording: Pick<RecordingRef, "team" | "participants">,
  policies: readonly TeamPolicy[],
): string {
  const policy = policies.find((p) => p.team.id === recording.team);
  if (!policy) return "unknown";
  return [...recording.participants].sort().find((p) => isMember(policy, p)) ?? "unknown";
}

/**
 * Submits a review: a new one (version 1), or the next version of `reviewId` (the submission's `replaces` must
 * be the latest version: 409 otherwise). The version is written to the archive first; only then is it indexed
 * and the recording's queue item moved on (done, disputed, or back for a second look).
 */
export async function submitReview(
  stores: ReviewStores,
  input: { recording: RecordingRef; reviewer: string; submission: Submission; reviewId?: string | undefined },
): Promise<{ review: IndexedReview; item: QueueItem }> {
  const now = (stores.now ?? (() => new Date()))().toISOString();
  const { recording } = input;
  const card = stores.scorecards().get(recording.team);
  if (!card) throw new ReviewRefused(409, `team ${recording.team} has no scorecard (docs/reviews.md "Scorecards")`);
  let existing: IndexedReview | undefined;
  if (input.reviewId !== undefined) {
    existing = await stores.index.get(input.reviewId);
    if (!existing || existing.recordingId !== recording.recordingId) throw new ReviewRefused(404, "no such review");
    const latest = existing.latest.version;
    if (input.submission.replaces !== latest)
      throw new ReviewRefused(
        409,
        `replaces: the latest version is ${latest}; give "replaces": ${latest} after reading it`,
      );
  }
  const reviewId = existing?.reviewId ?? randomUUID();
  const version = (existing?.latest.version ?? 0) + 1;
  const agent = existing?.latest.agent ?? agentOf(recording, stores.policies());
  const built = buildReview({
    reviewId,
    version,
    recording: { ...recording, agent },
    reviewer: input.reviewer,
    submittedAt: now,
    card,
    submission: input.submission,
    previousSha256: existing?.versions.at(-1)?.sha256 ?? null,
  });
  if (!built.ok) throw new ReviewRefused(400, `answers: ${built.problems.join("; ")}`);
  const facts = await stores.manifest(recording);
  if (!facts) throw new ReviewRefused(404, "no such recording");
  const blob = reviewBlobName(recording.manifestBlob, reviewId, version);
  let stored;
  try {
    stored = await stores.archive.write(blob, built.document, {
      until: facts.retainUntil ? new Date(facts.retainUntil) : undefined,
      legalHold: facts.legalHold,
    });
  } catch (error) {
    if (error instanceof ReviewConflict)
      throw new ReviewRefused(
        409,
        `version ${version} of this review was submitted by someone else first; read it and try again`,
      );
    throw error;
  }
  const review: IndexedReview = {
    reviewId,
    recordingId: recording.recordingId,
    team: recording.team,
    latest: built.document,
    versions: [
      ...(existing?.versions ?? []),
      { version, blob, sha256: stored.sha256, reviewer: input.reviewer, submittedAt: now },
    ],
  };
  await stores.index.put(review);
  const item = await applyToQueue(stores, card, recording, agent, review, now);
  return { review, item };
}

/**
 * Moves the recording's queue item on after a review (`itemAfterReview`), applied to the item as it is when written
 * (ReviewQueue.update): a start or an assignment landing at the same instant is not lost, nor does it undo this.
 */
export async function applyToQueue(
  stores: { queue: ReviewQueue; index: Pick<ReviewIndex, "ofRecording"> },
  card: Pick<Scorecard, "sampling" | "reviewers">,
  recording: Pick<RecordingRef, "recordingId" | "serverCallId" | "team" | "startedAt">,
  agent: string,
  review: Pick<IndexedReview, "reviewId" | "latest">,
  at: string,
): Promise<QueueItem> {
  const fresh: QueueItem = {
    recordingId: recording.recordingId,
    serverCallId: recording.serverCallId,
    team: recording.team,
    agent,
    startedAt: recording.startedAt,
    reasons: [],
    status: "to-review",
    assignee: null,
    queuedAt: at,
    updatedAt: at,
    reviewIds: [],
  };
  const others = (await stores.index.ofRecording(recording.recordingId)).filter((r) => r.reviewId !== review.reviewId);
  const rules = {
    flagged: card.sampling.flagged,
    reviewers: card.reviewers,
    reviewedBy: others.flatMap((r) => r.versions.map((v) => v.reviewer)),
    // Who has fewest open items only balances a second look's assignment: a count a moment old does.
    open: openPerReviewer(await stores.queue.list(recording.team)),
  };
  const reviewed = {
    reviewId: review.reviewId,
    reviewer: review.latest.reviewer,
    flags: review.latest.flags.map((f) => f.kind),
    at,
  };
  const next = await stores.queue.update(recording.team, recording.recordingId, (current) =>
    itemAfterReview(current ?? fresh, reviewed, rules),
  );
  return next!;
}

/**
 * A reviewer opens a queue item (`itemStarted`), applied to the item as it is when written: of two reviewers
 * starting an unassigned item at once, one gets it and the other is told whose it is; a start landing after a
 * review made it done is refused (409), not written over it.
 */
export async function startReviewing(
  queue: ReviewQueue,
  recording: Pick<RecordingRef, "team" | "recordingId">,
  reviewer: string,
  at = new Date().toISOString(),
): Promise<QueueItem> {
  const item = await queue.update(recording.team, recording.recordingId, (current) => {
    if (!current) throw new ReviewRefused(404, "the recording is not in the review queue");
    const next = itemStarted(current, reviewer, at);
    if (!next) throw new ReviewRefused(409, "the review of this recording is done; submit a new version to change it");
    return next;
  });
  return item!;
}

/** Assigns a queue item (`itemAssigned`) as it is when written; returns it and whom it was assigned to before. */
export async function assignReviewer(
  queue: ReviewQueue,
  recording: Pick<RecordingRef, "team" | "recordingId">,
  reviewer: string | null,
  at = new Date().toISOString(),
): Promise<{ item: QueueItem; from: string | null }> {
  let from: string | null = null;
  const item = await queue.update(recording.team, recording.recordingId, (current) => {
    if (!current) throw new ReviewRefused(404, "the recording is not in the review queue");
    from = current.assignee;
    return itemAssigned(current, reviewer, at);
  });
  return { item: item!, from };
}

const openPerReviewer = (items: readonly QueueItem[]) => {
  const open = new Map<string, number>();
  for (const item of items)
    if (item.assignee && item.status !== "done") open.set(item.assignee, (open.get(item.assignee) ?? 0) + 1);
  return open;
};

export interface FillDependencies extends ReviewStores {
  /** A team's recordings that started at or after `since`, oldest first (the recordings index). */
  recordingsSince: (team: string, since: Date) => Promise<RecordingRef[]>;
  ledger: { get(serverCallId: string): Promise<Pick<LedgerEntry, "actions"> | undefined> };
}

/**
 * Fills each team's queue from its recordings archived since the last run (those that started within
 * `lookbackDays`, not considered before), by the team's sampling rules; new items go to the listed reviewer with
 * the fewest open items. Recordings are marked considered only after their items are stored, so a run that dies
 * is repeated by the next, which adds nothing twice. A team is filled by one run at a time (its lease, renewed while
 * the run lives; one that dies holds it at most `leaseMs`): a run that finds another filling it leaves it to that
 * one (`busy`); what neither considered waits
 * for the next run. Two at once would each sample from the same counts — an agent's week over its quota — and
 * give new items to the same least-loaded reviewer.
 */
export async function fillQueue(deps: FillDependencies, lookbackDays: number, leaseMs = 60_000) {
  const now = (deps.now ?? (() => new Date()))();
  const since = new Date(now.getTime() - lookbackDays * 86_400_000);
  const added: QueueItem[] = [];
  const busy: string[] = [];
  let considered = 0;
  for (const [team, card] of deps.scorecards()) {
    const filled = await deps.queue.whileFilling(team, leaseMs, () => fillTeam(deps, team, card, since, now));
    if (!filled) {
      busy.push(team);
      continue;
    }
    added.push(...filled.added);
    considered += filled.considered;
  }
  return { considered, added, busy };
}

/** One team's part of `fillQueue`, run while holding the team's filling lease. */
async function fillTeam(
  deps: FillDependencies,
  team: string,
  card: Scorecard,
  since: Date,
  now: Date,
): Promise<{ considered: number; added: QueueItem[] }> {
  const added: QueueItem[] = [];
  const recordings = await deps.recordingsSince(team, since);
  const seen = await deps.queue.considered(
    team,
    recordings.map((r) => r.recordingId),
  );
  const fresh = recordings.filter((r) => !seen.has(r.recordingId));
  if (fresh.length === 0) return { considered: 0, added };
  const candidates: (Candidate & { recording: RecordingRef })[] = [];
  for (const recording of fresh) {
    const facts = await deps.manifest(recording);
    const entry = await deps.ledger.get(recording.serverCallId);
    candidates.push({
      recording,
      recordingId: recording.recordingId,
      agent: agentOf(recording, deps.policies()),
      startedAt: recording.startedAt,
      paused: facts?.paused ?? false,
      enforced: (entry?.actions ?? []).length > 0,
      flagged: false,
    });
  }
  candidates.sort((a, b) => a.startedAt.localeCompare(b.startedAt) || a.recordingId.localeCompare(b.recordingId));
  const selected = selectForReview(card.sampling, candidates, await deps.queue.counts(team));
  const open = openPerReviewer(await deps.queue.list(team));
  for (const selection of selected) {
    const candidate = candidates.find((c) => c.recordingId === selection.recordingId)!;
    const assignee = nextReviewer(card.reviewers, open) ?? null;
    const item: QueueItem = {
      recordingId: candidate.recordingId,
      serverCallId: candidate.recording.serverCallId,
      team,
      agent: candidate.agent,
      startedAt: candidate.startedAt,
      reasons: selection.reasons,
      status: "to-review",
      assignee,
      queuedAt: now.toISOString(),
      updatedAt: now.toISOString(),
      reviewIds: [],
    };
    const [stored] = await deps.queue.add([item]);
    if (!stored) continue;
    added.push(stored);
    if (assignee) open.set(assignee, (open.get(assignee) ?? 0) + 1);
    if (candidate.agent !== "unknown") await deps.queue.count(team, selection.agentWeek, 1);
  }
  await deps.queue.consider(
    team,
    fresh.map((r) => r.recordingId),
  );
  return { considered: fresh.length, added };
}

export interface ReindexResult {
  reviews: number;
  versions: number;
  /** Reviews whose versions do not link up (a missing version, or a previousSha256 that is not the one before). */
  problems: string[];
}

/**
 * Rebuilds the reviews index from the archive's review blobs (`recorder reviews reindex`): every version is
 * read and checked to link to the one before; the latest is indexed. Then each indexed review's queue item,
 * where one exists, gets the review's id and the status its latest version gives.
 */
export async function reindexReviews(
  stores: Pick<ReviewStores, "archive" | "index" | "queue" | "scorecards">,
): Promise<ReindexResult> {
  const byReview = new Map<string, string[]>();
  for await (const name of stores.archive.names()) {
    const parsed = parseReviewBlobName(name)!;
    byReview.set(parsed.reviewId, [...(byReview.get(parsed.reviewId) ?? []), name]);
  }
  const problems: string[] = [];
  let versions = 0;
  let reviews = 0;
  const indexed: IndexedReview[] = [];
  for (const [reviewId, names] of byReview) {
    const read: StoredVersion[] = [];
    for (const name of names.sort()) {
      try {
        const version = await stores.archive.read(name);
        if (version) read.push(version);
      } catch (error) {
        problems.push(`${name}: ${(error as Error).message}`);
      }
    }
    read.sort((a, b) => a.document.version - b.document.version);
    const broken = read.findIndex(
      (v, i) =>
        v.document.version !== i + 1 ||
        v.document.previousSha256 !== (i === 0 ? null : read[i - 1]!.sha256) ||
        v.document.reviewId !== reviewId,
    );
    if (broken >= 0)
      problems.push(
        `review ${reviewId}: version ${read[broken]!.document.version} (${read[broken]!.blob}) does not follow the one before; indexed up to the one before it`,
      );
    const chain = broken >= 0 ? read.slice(0, broken) : read;
    const latest = chain.at(-1);
    if (!latest) continue;
    const review: IndexedReview = {
      reviewId,
      recordingId: latest.document.recordingId,
      team: latest.document.team,
      latest: latest.document,
      versions: chain.map((v) => ({
        version: v.document.version,
        blob: v.blob,
        sha256: v.sha256,
        reviewer: v.document.reviewer,
        submittedAt: v.document.submittedAt,
      })),
    };
    await stores.index.put(review);
    indexed.push(review);
    reviews += 1;
    versions += chain.length;
  }
  // Replay the reviews on their queue items in submission order, from the item as the filling job left it.
  indexed.sort((a, b) => a.versions[0]!.submittedAt.localeCompare(b.versions[0]!.submittedAt));
  for (const review of indexed) {
    const card = stores.scorecards().get(review.team);
    if (!card) continue;
    const reviewedBy = indexed
      .filter(
        (r) =>
          r.recordingId === review.recordingId &&
          r.reviewId !== review.reviewId &&
          r.versions[0]!.submittedAt < review.versions[0]!.submittedAt,
      )
      .flatMap((r) => r.versions.map((v) => v.reviewer));
    // Only an existing item (one the job queued): as it is when written, like every change of an item.
    await stores.queue.update(review.team, review.recordingId, (item) =>
      item
        ? itemAfterReview(
            item,
            {
              reviewId: review.reviewId,
              reviewer: review.latest.reviewer,
              flags: review.latest.flags.map((f) => f.kind),
              at: review.latest.submittedAt,
            },
            { flagged: card.sampling.flagged, reviewers: card.reviewers, reviewedBy, open: new Map() },
          )
        : undefined,
    );
  }
  return { reviews, versions, problems };
}

/** The report rows of some teams' reviews of recordings that started in [from, to). */
export async function teamReport(
  index: ReviewIndex,
  teams: readonly string[],
  range: { from?: Date | undefined; to?: Date | undefined },
  limit = 50_000,
): Promise<ReportRow[]> {
  const reviews = (await Promise.all(teams.map((team) => index.ofTeam(team, range, limit)))).flat();
  return reviewReport(reviews.map((r) => r.latest));
}

/**
 * A recording's review status for the recordings list (the list's `reviewStatus`): its queue item's status
 * (`to-review`, `in-progress`, `done`, `disputed`), else `reviewed` when it has reviews, else null.
 */
export function reviewStatusOf(stores: Pick<ReviewStores, "queue" | "index">) {
  return async (recording: Pick<RecordingRef, "recordingId" | "team">): Promise<string | null> => {
    const item = await stores.queue.get(recording.team, recording.recordingId);
    if (item) return item.status;
    return (await stores.index.ofRecording(recording.recordingId)).length > 0 ? "reviewed" : null;
  };
}
