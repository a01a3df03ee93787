/**
 * A review's score (pure): answers against a scorecard (docs/reviews.md "Scoring").
 *
 * - A question's value: yes 1, no 0, scale n (1–5) (n − 1) / 4; "na" (yes-no-na only) leaves it out.
 * - A section's percentage: the weighted mean of its answered questions; a section with none answered is left out.
 * - The total: the weighted mean of the sections left, as a percentage rounded to 0.1.
 * - Passed: the total is at least the pass mark and no critical question was answered "no".
 */
import type { Question, Scorecard } from "./scorecard.js";

export type Answer = "yes" | "no" | "na" | 1 | 2 | 3 | 4 | 5;

export interface SectionScore {
  id: string;
  /** null when every question of the section was "na". */
  percent: number | null;
}

export interface Score {
  /** null when nothing at all could be scored (every question "na"). */
  percent: number | null;
  passed: boolean;
  /** Critical questions answered "no": any one fails the review. */
  criticalFailed: string[];
  sections: SectionScore[];
}

/** Why answers do not fit the form (each problem names the question); empty when they do. */
export function answerProblems(
  card: Pick<Scorecard, "sections">,
  answers: Readonly<Record<string, unknown>>,
): string[] {
  const problems: string[] = [];
  const known = new Set<string>();
  for (const section of card.sections)
    for (const q of section.questions) {
      known.add(q.id);
      const answer = answers[q.id];
      if (answer === undefined) problems.push(`${q.id}: not answered`);
      else if (!fits(q, answer)) problems.push(`${q.id}: ${JSON.stringify(answer)} is not ${expected(q)}`);
    }
  for (const name of Object.keys(answers)) if (!known.has(name)) problems.push(`${name}: no such question`);
  return problems;
}

const fits = (q: Question, answer: unknown): answer is Answer => {
  if (q.type === "scale") return typeof answer === "number" && Number.isInteger(answer) && answer >= 1 && answer <= 5;
  if (q.type === "yes-no") return answer === "yes" || answer === "no";
  return answer === "yes" || answer === "no" || answer === "na";
};
const expected = (q: Question) =>
  q.type === "scale" ? "a whole number from 1 to 5" : q.type === "yes-no" ? '"yes" or "no"' : '"yes", "no" or "na"';

const valueOf = (answer: Answer): number | null =>
  answer === "na" ? null : answer === "yes" ? 1 : answer === "no" ? 0 : (answer - 1) / 4;

const round = (fraction: number) => Math.round(fraction * 1000) / 10;

/** The score of answers that fit the form (check them with `answerProblems` first). */
export function scoreReview(
  card: Pick<Scorecard, "sections" | "passMark">,
  answers: Readonly<Record<string, Answer>>,
): Score {
  const criticalFailed: string[] = [];
  const sections: SectionScore[] = [];
  let total = 0;
  let totalWeight = 0;
  for (const section of card.sections) {
    let sum = 0;
    let weight = 0;
    for (const q of section.questions) {
      const answer = answers[q.id];
      if (answer === undefined) throw new Error(`scoreReview: question ${q.id} not answered`);
      if (q.critical && answer === "no") criticalFailed.push(q.id);
      const value = valueOf(answer);
      if (value === null) continue;
      sum += value * q.weight;
      weight += q.weight;
    }
    if (weight === 0) {
      sections.push({ id: section.id, percent: null });
      continue;
    }
    sections.push({ id: section.id, percent: round(sum / weight) });
    total += (sum / weight) * section.weight;
    totalWeight += section.weight;
  }
  const percent = totalWeight === 0 ? null : round(total / totalWeight);
  return {
    percent,
    passed: criticalFailed.length === 0 && percent !== null && percent >= card.passMark,
    criticalFailed,
    sections,
  };
}
