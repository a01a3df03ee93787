// The reviews part of the page, pure: a scorecard form's answers, times in a recording, queue and report rows to
// text and to a chart's series (docs/reviews.md "The QA page"). No DOM, no I/O: tested by tables
// (reviews-view.test.ts).

/**
 * A question of a scorecard (`GET /api/recordings/{id}/reviews`, `scorecard`).
 * @typedef {{ id: string, text: string, type: "yes-no" | "yes-no-na" | "scale", weight: number, critical: boolean }} Question
 * @typedef {{ id: string, title: string, weight: number, questions: Question[] }} Section
 * @typedef {{ team: string, title: string, passMark: number, sections: Section[] }} Scorecard
 */

/**
 * One review as the API shows it (its latest version).
 * @typedef {object} Review
 * @property {string} reviewId
 * @property {number} version
 * @property {string} reviewer
 * @property {string} submittedAt
 * @property {string} agent
 * @property {Record<string, string | number>} answers
 * @property {{ atSeconds: number, text: string }[]} comments
 * @property {{ kind: string, note: string }[]} flags
 * @property {string} summary
 * @property {{ percent: number | null, passed: boolean, criticalFailed: string[] }} score
 */

/**
 * An item of the review queue.
 * @typedef {{ recordingId: string, team: string, agent: string, agentName?: string | null, startedAt: string, reasons: string[],
 *   status: string, assignee: string | null }} QueueItem
 */

/**
 * A row of the reviews report.
 * @typedef {{ team: string, week: string, agent: string | null, agentName?: string | null, reviews: number, meanPercent: number | null,
 *   passed: number, failed: number, criticalFailed: number, flagged: number }} ReportRow
 */

export const FLAG_KINDS = ["compliance-breach", "coaching", "dispute"];
export const FLAG_LABELS = /** @type {Record<string, string>} */ ({
  "compliance-breach": "Compliance breach",
  coaching: "Coaching",
  dispute: "Dispute",
});

/**
 * The choices a question offers, in order: value (as the API takes it) and label.
 * @param {Question} question
 * @returns {{ value: string, label: string }[]}
 */
export function choicesOf(question) {
  if (question.type === "scale") return [1, 2, 3, 4, 5].map((n) => ({ value: String(n), label: String(n) }));
  const yesNo = [
    { value: "yes", label: "Yes" },
    { value: "no", label: "No" },
  ];
  return question.type === "yes-no-na" ? [...yesNo, { value: "na", label: "N/A" }] : yesNo;
}

/**
 * The answers of a filled form (`name` = question id, `value` = the checked choice) as the API takes them, and
 * the questions left unanswered.
 * @param {Scorecard} scorecard
 * @param {Iterable<[string, string]>} entries
 * @returns {{ answers: Record<string, string | number>, missing: string[] }}
 */
export function answersFrom(scorecard, entries) {
  const given = new Map(entries);
  /** @type {Record<string, string | number>} */
  const answers = {};
  const missing = [];
  for (const section of scorecard.sections)
    for (const question of section.questions) {
      const value = given.get(question.id);
      if (value === undefined || value === "") missing.push(question.id);
      else answers[question.id] = question.type === "scale" ? Number(value) : value;
    }
  return { answers, missing };
}

/**
 * Seconds into a recording as `m:ss.s` (or `h:mm:ss.s`), e.g. 62.25 → "1:02.3".
 * @param {number} seconds
 */
export function formatOffset(seconds) {
  if (!Number.isFinite(seconds) || seconds < 0) return "—";
  const tenths = Math.round(seconds * 10);
  const h = Math.floor(tenths / 36000);
  const m = Math.floor((tenths % 36000) / 600);
  const s = ((tenths % 600) / 10).toFixed(1).padStart(4, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${s}` : `${m}:${s}`;
}

/**
 * A review's score in words: "83% — passed", "45% — failed (critical: disclosure)".
 * @param {Review["score"]} score
 */
export function scoreText(score) {
  const percent = score.percent === null ? "no score" : `${score.percent}%`;
  const critical = score.criticalFailed.length > 0 ? ` (critical: ${score.criticalFailed.join(", ")})` : "";
  return `${percent} — ${score.passed ? "passed" : "failed"}${critical}`;
}

const REASONS = /** @type {Record<string, string>} */ ({
  "agent-sample": "weekly sample",
  paused: "paused",
  enforced: "enforcement",
  flagged: "flagged",
});
const STATUSES = /** @type {Record<string, string>} */ ({
  "to-review": "To review",
  "in-progress": "In progress",
  done: "Done",
  disputed: "Disputed",
});

/**
 * A queue item as table cells: why it is queued, its status, who has it.
 * @param {QueueItem} item
 * @param {string} me the signed-in reviewer's name
 */
export function queueCells(item, me) {
  return {
    why: item.reasons.map((r) => REASONS[r] ?? r).join(", ") || "reviewed",
    status: STATUSES[item.status] ?? item.status,
    assignee: item.assignee === null ? "anyone" : item.assignee === me ? `${item.assignee} (you)` : item.assignee,
  };
}

/**
 * The Monday an ISO week (`2026-W50`) starts on, in ms since the epoch (UTC); NaN for anything else.
 * @param {string} week
 */
export function weekStart(week) {
  const match = /^(\d{4})-W(\d{2})$/.exec(week);
  if (!match) return Number.NaN;
  const year = Number(match[1]);
  // Week 1 holds 4 January; its Monday is 4 January minus (its weekday − 1).
  const jan4 = Date.UTC(year, 0, 4);
  const weekday = new Date(jan4).getUTCDay() || 7;
  return jan4 - (weekday - 1) * 86_400_000 + (Number(match[2]) - 1) * 7 * 86_400_000;
}

/**
 * The report as a chart's data: one x per week (seconds, as uPlot takes them) and one series per line — the
 * team's mean, then each agent's — with null where a week has no scored review.
 * @param {ReportRow[]} rows of one team
 * @returns {{ x: number[], series: { label: string, values: (number | null)[] }[] }}
 */
export function reportSeries(rows) {
  const weeks = [...new Set(rows.map((r) => r.week))].sort();
  const lines = new Map();
  for (const row of rows) {
    const label = row.agent === null ? `${row.team} (team)` : (row.agentName ?? row.agent);
    if (!lines.has(label)) lines.set(label, new Map());
    lines.get(label).set(row.week, row.meanPercent);
  }
  const labels = [...lines.keys()].sort((a, b) =>
    a.endsWith("(team)") ? -1 : b.endsWith("(team)") ? 1 : a.localeCompare(b),
  );
  return {
    x: weeks.map((w) => weekStart(w) / 1000),
    series: labels.map((label) => ({ label, values: weeks.map((w) => lines.get(label).get(w) ?? null) })),
  };
}
