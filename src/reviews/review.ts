/**
 * A review (pure): what a reviewer submits for one recording, and the immutable document each version is
 * stored as (docs/reviews.md "Reviews"). A submitted version is never changed: a change is the next version,
 * which names the SHA-256 of the one before.
 */
import { z } from "zod";
import { answerProblems, scoreReview, type Answer, type Score } from "./score.js";
import type { Scorecard } from "./scorecard.js";

export const FLAG_KINDS = ["compliance-breach", "coaching", "dispute"] as const;
export type FlagKind = (typeof FLAG_KINDS)[number];

const answer = z.union([z.enum(["yes", "no", "na"]), z.number().int().min(1).max(5)]);

/** The body of `POST /api/recordings/{id}/reviews` and `POST /api/reviews/{reviewId}/versions`. */
export const submission = z.strictObject({
  answers: z.record(z.string().min(1).max(63), answer),
  comments: z
    .array(
      z.strictObject({
        /** Seconds into the recording the comment is pinned to. */
        atSeconds: z
          .number()
          .min(0)
          .max(7 * 24 * 3600),
        text: z.string().trim().min(1).max(2000),
      }),
    )
    .max(200)
    .default([]),
  flags: z
    .array(z.strictObject({ kind: z.enum(FLAG_KINDS), note: z.string().trim().max(2000).default("") }))
    .max(10)
    .default([]),
  /** Overall remark. */
  summary: z.string().trim().max(4000).default(""),
  /** For a new version: the version it replaces (refused with 409 when another was submitted since). */
  replaces: z.number().int().min(1).optional(),
});
export type Submission = z.infer<typeof submission>;

/** One stored version of a review: the blob `<recording folder>/reviews/<reviewId>/v<nnnn>.json`. */
export const reviewDocument = z.strictObject({
  reviewFormat: z.literal(1),
  reviewId: z.string(),
  version: z.number().int().min(1),
  recordingId: z.string(),
  serverCallId: z.string(),
  team: z.string(),
  agent: z.string(),
  recordingStartedAt: z.string(),
  reviewer: z.string(),
  submittedAt: z.string(),
  scorecard: z.strictObject({ team: z.string(), title: z.string(), hash: z.string(), passMark: z.number() }),
  answers: z.record(z.string(), answer),
  comments: z.array(z.strictObject({ atSeconds: z.number(), text: z.string() })),
  flags: z.array(z.strictObject({ kind: z.enum(FLAG_KINDS), note: z.string() })),
  summary: z.string(),
  score: z.strictObject({
    percent: z.number().nullable(),
    passed: z.boolean(),
    criticalFailed: z.array(z.string()),
    sections: z.array(z.strictObject({ id: z.string(), percent: z.number().nullable() })),
  }),
  /** SHA-256 of the previous version's blob; null for version 1. */
  previousSha256: z.string().nullable(),
});
export type ReviewDocument = z.infer<typeof reviewDocument>;

export interface ReviewedRecording {
  recordingId: string;
  serverCallId: string;
  team: string;
  agent: string;
  startedAt: string;
}

export type Built = { ok: true; document: ReviewDocument } | { ok: false; problems: string[] };

/** The document of a new version (pure), or why the submission does not fit the team's scorecard. */
export function buildReview(input: {
  reviewId: string;
  version: number;
  recording: ReviewedRecording;
  reviewer: string;
  submittedAt: string;
  card: Scorecard;
  submission: Submission;
  previousSha256: string | null;
}): Built {
  const { card, submission: s, recording } = input;
  const problems = answerProblems(card, s.answers);
  if (problems.length > 0) return { ok: false, problems };
  const score: Score = scoreReview(card, s.answers as Record<string, Answer>);
  return {
    ok: true,
    document: {
      reviewFormat: 1,
      reviewId: input.reviewId,
      version: input.version,
      recordingId: recording.recordingId,
      serverCallId: recording.serverCallId,
      team: recording.team,
      agent: recording.agent,
      recordingStartedAt: recording.startedAt,
      reviewer: input.reviewer,
      submittedAt: input.submittedAt,
      scorecard: { team: card.team, title: card.title, hash: card.hash, passMark: card.passMark },
      answers: s.answers,
      comments: [...s.comments].sort((a, b) => a.atSeconds - b.atSeconds),
      flags: s.flags,
      summary: s.summary,
      score,
      previousSha256: input.previousSha256,
    },
  };
}

/** The blob a version is stored in, beside the recording's manifest. */
export function reviewBlobName(manifestBlob: string, reviewId: string, version: number): string {
  const folder = manifestBlob.slice(0, manifestBlob.lastIndexOf("/"));
  return `${folder}/reviews/${reviewId}/v${String(version).padStart(4, "0")}.json`;
}

/** The review id and version of a review blob name, or undefined for any other blob. */
export function parseReviewBlobName(name: string): { reviewId: string; version: number } | undefined {
  const match = /\/reviews\/([A-Za-z0-9-]{1,64})\/v(\d{4,})\.json$/.exec(name);
  return match ? { reviewId: match[1]!, version: Number(match[2]) } : undefined;
}
