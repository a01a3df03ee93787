import { readFile, writeFile } from "node:fs/promises";
import type { Command } from "commander";
import type { AuditLog } from "../audit/index.js";
import { createReviewStores, loadScorecards, reindexReviews, type ReviewStores } from "../reviews/index.js";
import { exitWith, withApiOptions } from "./api-options.js";
import type { Output } from "./policy-commands.js";
import { openAssignStores, openRedisForWriting } from "./queues.js";
import { apiClient, type ApiOptions } from "./recordings-commands.js";

// `recorder reviews list | show | submit | queue | assign | report | reindex`: QA reviews (docs/reviews.md) from
// the command line. All but reindex go through the API, so they are access-checked and audited there.

const recordingPath = (recordingId: string) => `/api/recordings/${encodeURIComponent(recordingId)}`;
const reviewPath = (reviewId: string) => `/api/reviews/${encodeURIComponent(reviewId)}`;

interface ReviewShown {
  reviewId: string;
  version: number;
  reviewer: string;
  submittedAt: string;
  agent: string;
  score: { percent: number | null; passed: boolean; criticalFailed: string[] };
  flags: { kind: string }[];
  comments: { atSeconds: number; text: string }[];
}

const scoreText = (r: ReviewShown) =>
  `${r.score.percent === null ? "—" : `${r.score.percent}%`} ${r.score.passed ? "passed" : "FAILED"}${
    r.score.criticalFailed.length ? ` (critical: ${r.score.criticalFailed.join(", ")})` : ""
  }`;

export async function listReviewsCommand(recordingId: string, options: ApiOptions & { json?: boolean }, io: Output) {
  const answer = await apiClient(options).json<{ reviews: ReviewShown[]; queue: { status: string } | null }>(
    "GET",
    `${recordingPath(recordingId)}/reviews`,
  );
  if (options.json) {
    io.out(JSON.stringify(answer, null, 2));
    return 0;
  }
  io.out(`queue: ${answer.queue ? answer.queue.status : "not queued"}`);
  for (const r of answer.reviews)
    io.out(
      `${r.reviewId}  v${r.version}  ${r.submittedAt}  ${r.reviewer}  agent ${r.agent}  ${scoreText(r)}  ${r.flags.map((f) => f.kind).join(",") || "-"}  ${r.comments.length} comment(s)`,
    );
  if (answer.reviews.length === 0) io.out("no reviews");
  return 0;
}

export async function showReviewCommand(reviewId: string, options: ApiOptions & { version?: string }, io: Output) {
  const query = options.version ? `?version=${encodeURIComponent(options.version)}` : "";
  const review = await apiClient(options).json<unknown>("GET", `${reviewPath(reviewId)}${query}`);
  io.out(JSON.stringify(review, null, 2));
  return 0;
}

export interface SubmitOptions extends ApiOptions {
  file?: string;
  answer: string[];
  comment: string[];
  flag: string[];
  summary?: string;
  review?: string;
  replaces?: string;
}

/** `--answer id=yes|no|na|1..5`, `--comment <seconds>=<text>`, `--flag <kind>[=<note>]`, or a JSON `--file`. */
export function submissionOf(
  options: Omit<SubmitOptions, "url" | "token">,
  fileText?: string,
): Record<string, unknown> {
  const body: Record<string, unknown> = fileText ? (JSON.parse(fileText) as Record<string, unknown>) : {};
  const split = (value: string, option: string) => {
    const at = value.indexOf("=");
    if (at <= 0) throw new Error(`${option} ${value}: give name=value`);
    return [value.slice(0, at), value.slice(at + 1)] as const;
  };
  if (options.answer.length > 0)
    body.answers = {
      ...(body.answers as object | undefined),
      ...Object.fromEntries(
        options.answer.map((a) => {
          const [id, value] = split(a, "--answer");
          return [id, /^\d+$/.test(value) ? Number(value) : value];
        }),
      ),
    };
  if (options.comment.length > 0)
    body.comments = options.comment.map((c) => {
      const [at, text] = split(c, "--comment");
      return { atSeconds: Number(at), text };
    });
  if (options.flag.length > 0)
    body.flags = options.flag.map((f) => {
      const at = f.indexOf("=");
      return at < 0 ? { kind: f } : { kind: f.slice(0, at), note: f.slice(at + 1) };
    });
  if (options.summary !== undefined) body.summary = options.summary;
  if (options.replaces !== undefined) body.replaces = Number(options.replaces);
  return body;
}

export async function submitReviewCommand(recordingId: string, options: SubmitOptions, io: Output) {
  const body = submissionOf(options, options.file ? await readFile(options.file, "utf8") : undefined);
  const path = options.review ? `${reviewPath(options.review)}/versions` : `${recordingPath(recordingId)}/reviews`;
  const answer = await apiClient(options).json<{ review: ReviewShown; queue: { status: string } }>("POST", path, body);
  io.out(
    `review ${answer.review.reviewId} version ${answer.review.version}: ${scoreText(answer.review)}; queue ${answer.queue.status}`,
  );
  return 0;
}

interface QueueShown {
  recordingId: string;
  team: string;
  agent: string;
  startedAt: string;
  status: string;
  assignee: string | null;
  reasons: string[];
}

export async function queueCommand(
  options: ApiOptions & { team?: string; status?: string; json?: boolean },
  io: Output,
) {
  const query = new URLSearchParams();
  if (options.team) query.set("team", options.team);
  if (options.status) query.set("status", options.status);
  const answer = await apiClient(options).json<{ reviewer: string; items: QueueShown[] }>(
    "GET",
    `/api/reviews/queue${query.size ? `?${query}` : ""}`,
  );
  if (options.json) {
    io.out(JSON.stringify(answer, null, 2));
    return 0;
  }
  io.out(`queue of ${answer.reviewer} (own items first)`);
  for (const i of answer.items)
    io.out(
      `${i.status.padEnd(11)}  ${i.startedAt}  ${i.team}  ${i.recordingId}  agent ${i.agent}  ${i.assignee ?? "(unassigned)"}  ${i.reasons.join(",")}`,
    );
  if (answer.items.length === 0) io.out("nothing queued");
  return 0;
}

export async function assignQueueCommand(recordingId: string, options: ApiOptions & { to?: string }, io: Output) {
  const item = await apiClient(options).json<QueueShown>(
    "POST",
    `/api/reviews/queue/${encodeURIComponent(recordingId)}/assign`,
    { reviewer: options.to ?? null },
  );
  io.out(`${item.recordingId}: assigned to ${item.assignee ?? "nobody"} (${item.status})`);
  return 0;
}

export async function reportCommand(
  options: ApiOptions & { team?: string; from?: string; to?: string; csv?: boolean; out?: string },
  io: Output,
) {
  const query = new URLSearchParams();
  if (options.team) query.set("team", options.team);
  if (options.from) query.set("from", options.from);
  if (options.to) query.set("to", options.to);
  if (options.csv) query.set("format", "csv");
  const response = await apiClient(options).raw("GET", `/api/reviews/report${query.size ? `?${query}` : ""}`);
  const text = await response.text();
  if (options.out) {
    await writeFile(options.out, text);
    io.out(`written to ${options.out}`);
  } else io.out(options.csv ? text.trimEnd() : JSON.stringify(JSON.parse(text), null, 2));
  return 0;
}

/** Rebuilds the reviews index from the archive, audited as `reviews:reindex` with the operator as actor. */
export async function reindexReviewsCommand(
  stores: Pick<ReviewStores, "archive" | "index" | "queue" | "scorecards">,
  audit: AuditLog,
  actor: string,
  io: Output,
): Promise<number> {
  const result = await reindexReviews(stores);
  await audit.append({
    at: new Date().toISOString(),
    actor,
    role: "operator",
    action: "reviews:reindex",
    outcome: result.problems.length ? `reindexed with ${result.problems.length} problem(s)` : "reindexed",
    detail: { reviews: result.reviews, versions: result.versions, problems: result.problems.slice(0, 20) },
  });
  for (const problem of result.problems) io.err(`problem: ${problem}`);
  io.out(
    `${result.reviews} review(s), ${result.versions} version(s) indexed${result.problems.length ? `, ${result.problems.length} problem(s)` : ""}`,
  );
  return result.problems.length ? 1 : 0;
}

const collect = (value: string, previous: string[]) => [...previous, value];

/** `recorder reviews …` */
export function registerReviewsCommands(program: Command, io: Output): void {
  const reviews = program
    .command("reviews")
    .description("QA reviews: scorecards, the queue, reports (docs/reviews.md)");

  withApiOptions(reviews.command("list"))
    .argument("<recordingId>")
    .description("the reviews of one recording, and its queue status")
    .option("--json", "as the API gives it (with the team's scorecard)")
    .action(async (recordingId: string, options: ApiOptions & { json?: boolean }) =>
      exitWith(await listReviewsCommand(recordingId, options, io)),
    );
  withApiOptions(reviews.command("show"))
    .argument("<reviewId>")
    .option("--version <n>", "an earlier version, read from the archive and checked against its SHA-256")
    .description("one review: its latest version (or --version), every version's blob and hash")
    .action(async (reviewId: string, options: ApiOptions & { version?: string }) =>
      exitWith(await showReviewCommand(reviewId, options, io)),
    );
  withApiOptions(reviews.command("submit"))
    .argument("<recordingId>")
    .description("submit a review (or, with --review and --replaces, its next version)")
    .option("--file <json>", "the submission as JSON (answers, comments, flags, summary)")
    .option("--answer <id=value>", "an answer: yes, no, na or 1-5 (repeatable)", collect, [])
    .option("--comment <seconds=text>", "a comment pinned to a time in the recording (repeatable)", collect, [])
    .option("--flag <kind[=note]>", "compliance-breach, coaching or dispute (repeatable)", collect, [])
    .option("--summary <text>", "an overall remark")
    .option("--review <reviewId>", "submit the next version of this review")
    .option("--replaces <version>", "the version it replaces (the latest)")
    .action(async (recordingId: string, options: SubmitOptions) =>
      exitWith(await submitReviewCommand(recordingId, options, io)),
    );
  withApiOptions(reviews.command("queue"))
    .description("the review queue: your own items first")
    .option("--team <team>", "one team (auditors)")
    .option("--status <status>", "to-review, in-progress, done or disputed")
    .option("--json", "as the API gives it")
    .action(async (options: ApiOptions & { team?: string; status?: string; json?: boolean }) =>
      exitWith(await queueCommand(options, io)),
    );
  withApiOptions(reviews.command("assign"))
    .argument("<recordingId>")
    .option("--to <reviewer>", "the reviewer (API token name); without it: unassigned")
    .description("assign a queued recording to a reviewer")
    .action(async (recordingId: string, options: ApiOptions & { to?: string }) =>
      exitWith(await assignQueueCommand(recordingId, options, io)),
    );
  withApiOptions(reviews.command("report"))
    .description("scores per team and agent per week")
    .option("--team <team>", "one team (auditors: default every team)")
    .option("--from <yyyy-mm-dd>", "recordings started on or after (UTC)")
    .option("--to <yyyy-mm-dd>", "recordings started on or before (UTC)")
    .option("--csv", "CSV instead of JSON")
    .option("--out <file>", "write to a file")
    .action(async (options: ApiOptions & { team?: string; from?: string; to?: string; csv?: boolean; out?: string }) =>
      exitWith(await reportCommand(options, io)),
    );
  reviews
    .command("reindex")
    .description("rebuild the reviews index from the review blobs in the archive (REDIS_URL, BLOB_CONNECTION_STRING)")
    .option("--by <name>", "the operator, for the audit trail (default: the user name)")
    .action(async (options: { by?: string }) => {
      const opened = await openAssignStores();
      const writing = await openRedisForWriting();
      try {
        const scorecards = await loadScorecards(process.env.POLICY_DIR ?? "policies");
        const stores = createReviewStores({
          redis: writing.redis,
          prefix: writing.prefix,
          container: opened.stores.container,
          retention: opened.stores.retention,
          scorecards: () => scorecards,
          policies: () => opened.stores.policies,
        });
        exitWith(await reindexReviewsCommand(stores, opened.stores.audit, options.by ?? opened.actor, io));
      } finally {
        writing.close();
        opened.close();
      }
    });
}
