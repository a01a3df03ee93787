/**
 * The reviews index in Redis (docs/reviews.md "Storage"): what the API lists and reports from. It holds nothing
 * the archive does not: `recorder reviews reindex` rebuilds it from the review blobs. Every command touches one
 * key and keys are hash-tagged, so Redis Cluster works.
 */
import type { RedisClient } from "../redis/index.js";
import type { ReviewDocument } from "./review.js";

export interface VersionRef {
  version: number;
  blob: string;
  sha256: string;
  reviewer: string;
  submittedAt: string;
}

/** One review: its latest version in full, and every version's blob and hash. */
export interface IndexedReview {
  reviewId: string;
  recordingId: string;
  team: string;
  latest: ReviewDocument;
  versions: VersionRef[];
}

export interface ReviewIndex {
  put(review: IndexedReview): Promise<void>;
  get(reviewId: string): Promise<IndexedReview | undefined>;
  /** The reviews of one recording, oldest first. */
  ofRecording(recordingId: string): Promise<IndexedReview[]>;
  /** A team's reviews of recordings that started in [from, to), oldest recording first; at most `limit`. */
  ofTeam(
    team: string,
    range: { from?: Date | undefined; to?: Date | undefined },
    limit: number,
  ): Promise<IndexedReview[]>;
}

export function reviewIndexKeys(prefix: string) {
  return {
    review: (reviewId: string) => `${prefix}:review:{${reviewId}}`,
    recording: (recordingId: string) => `${prefix}:review:rec:{${recordingId}}`,
    team: (team: string) => `${prefix}:review:team:{${team}}`,
  };
}

export function createReviewIndex(redis: RedisClient, prefix: string): ReviewIndex {
  const keys = reviewIndexKeys(prefix);
  const get = async (reviewId: string) => {
    const raw = await redis.get(keys.review(reviewId));
    return raw ? (JSON.parse(raw) as IndexedReview) : undefined;
  };
  const many = async (ids: string[]) =>
    (await Promise.all(ids.map(get))).filter((r): r is IndexedReview => r !== undefined);
  return {
    async put(review) {
      // The review first, the sets after: an id found in a set always has its review.
      await redis.set(keys.review(review.reviewId), JSON.stringify(review));
      const first = review.versions[0]?.submittedAt ?? review.latest.submittedAt;
      await redis.zadd(keys.recording(review.recordingId), Date.parse(first), review.reviewId);
      await redis.zadd(keys.team(review.team), Date.parse(review.latest.recordingStartedAt), review.reviewId);
    },
    get,
    async ofRecording(recordingId) {
      return many(await redis.zrange(keys.recording(recordingId), "0", "-1"));
    },
    async ofTeam(team, range, limit) {
      const min = range.from ? String(range.from.getTime()) : "-inf";
      const max = range.to ? `(${range.to.getTime()}` : "+inf";
      return many(await redis.zrangebyscore(keys.team(team), min, max, "LIMIT", "0", String(limit)));
    },
  };
}
