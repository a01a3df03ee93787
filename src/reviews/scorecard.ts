/**
 * Scorecards (pure): a team's evaluation form and review configuration, one YAML file per team in
 * `<POLICY_DIR>/<team-id>.scorecard.yaml`, beside the policies (docs/reviews.md "Scorecards"). Parsed with zod; `lintScorecards`
 * finds what zod cannot (duplicate ids, a critical scale question, a team no policy defines, weights that do
 * not add up), for `recorder policy lint`.
 */
import { createHash } from "node:crypto";
import { parse } from "yaml";
import { z } from "zod";

const id = z
  .string()
  .regex(
    /^[a-z0-9][a-z0-9-]{0,62}$/,
    "lower-case letters, digits and dashes (at most 63), starting with a letter or digit",
  );

export const QUESTION_TYPES = ["yes-no", "yes-no-na", "scale"] as const;
export type QuestionType = (typeof QUESTION_TYPES)[number];

const question = z.strictObject({
  id,
  text: z.string().min(1),
  /** yes-no: yes or no; yes-no-na: also "na" (not applicable, left out of the score); scale: 1 to 5. */
  type: z.enum(QUESTION_TYPES),
  /** Relative weight within its section (default 1). */
  weight: z.number().positive().max(1000).default(1),
  /** A "no" fails the whole review, whatever the score (yes-no and yes-no-na questions only). */
  critical: z.boolean().default(false),
});

const section = z.strictObject({
  id,
  title: z.string().min(1),
  /** Relative weight of the section in the total (lint warns when the sections' weights do not add up to 100). */
  weight: z.number().positive().max(1000),
  questions: z.array(question).min(1),
});

/** Which recordings the review queue takes (src/reviews/sampling.ts). */
const sampling = z.strictObject({
  /** Recordings per agent (a team member on the call) per ISO week, the first ones archived; 0: none. */
  perAgentPerWeek: z.number().int().min(0).max(1000).default(0),
  /** Every recording with a pause (PCI) in it. */
  paused: z.boolean().default(false),
  /** Every recording of a call on which an enforcement action was taken (ledger actions). */
  enforced: z.boolean().default(false),
  /** Every recording a submitted review flagged (a second look). */
  flagged: z.boolean().default(true),
});

export const scorecardFileSchema = z.strictObject({
  version: z.literal(1),
  /** The team (a policy's team.id) this form is for. */
  team: id,
  title: z.string().min(1),
  /** The percentage at or above which a review passes (when no critical question failed). */
  passMark: z.number().min(0).max(100),
  sections: z.array(section).min(1),
  sampling: sampling.default({ perAgentPerWeek: 0, paused: false, enforced: false, flagged: true }),
  /** Reviewers (API token names) the queue hands recordings to, in turn; none: nobody is assigned by itself. */
  reviewers: z.array(z.string().min(1).max(200)).default([]),
});

export type ScorecardFile = z.infer<typeof scorecardFileSchema>;
export type Question = z.infer<typeof question>;
export type SamplingRules = z.infer<typeof sampling>;

/** A loaded scorecard: the file's content, where it came from and its SHA-256 (a review names the form it used). */
export interface Scorecard extends ScorecardFile {
  file: string;
  hash: string;
}

export class ScorecardError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid scorecards:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ScorecardError";
  }
}

/** `<team-id>.scorecard.yaml`: the team a scorecard file is named for; undefined for other names. */
export function scorecardTeamOf(fileName: string): string | undefined {
  return /^([a-z0-9][a-z0-9-]{0,62})\.scorecard\.ya?ml$/.exec(fileName)?.[1];
}

/** Parses one scorecard file's text (problems name the file and the field). */
export function parseScorecard(file: string, text: string): Scorecard {
  let data: unknown;
  try {
    data = parse(text);
  } catch (error) {
    throw new ScorecardError([`${file}: ${(error as Error).message}`]);
  }
  const parsed = scorecardFileSchema.safeParse(data);
  if (!parsed.success)
    throw new ScorecardError(
      parsed.error.issues.map((issue) => {
        const path = issue.code === "unrecognized_keys" ? [...issue.path, ...issue.keys] : issue.path;
        return `${file}: ${path.join(".") || "(file)"}: ${issue.code === "unrecognized_keys" ? "unknown field" : issue.message}`;
      }),
    );
  // The file is named for its team (`<team-id>.scorecard.yaml`), as a team's directory file is: a copied file whose
  // team was not changed would otherwise silently replace the other team's form.
  const named = scorecardTeamOf(file.split("/").at(-1) ?? file);
  if (named !== undefined && named !== parsed.data.team)
    throw new ScorecardError([`${file}: team: ${parsed.data.team}, but the file is named for team ${named}`]);
  return { ...parsed.data, file, hash: createHash("sha256").update(text).digest("hex") };
}

export interface ScorecardIssue {
  level: "error" | "warning";
  where: string;
  message: string;
}

/**
 * What zod cannot see in a set of scorecards: duplicate section or question ids (answers are keyed by question
 * id, so a duplicate would be ambiguous), critical scale questions, teams no policy defines, two forms for one
 * team, and (warnings) section weights that do not add up to 100 and teams without a form. `teams`: the policy
 * set's team ids, or undefined when the policies themselves did not load (teams are then not checked).
 */
export function lintScorecards(
  scorecards: readonly Scorecard[],
  teams: readonly string[] | undefined,
): ScorecardIssue[] {
  const issues: ScorecardIssue[] = [];
  const error = (where: string, message: string) => issues.push({ level: "error", where, message });
  const warn = (where: string, message: string) => issues.push({ level: "warning", where, message });
  const byTeam = new Map<string, string>();
  for (const card of scorecards) {
    const other = byTeam.get(card.team);
    if (other) error(card.file, `team ${card.team} already has a scorecard (${other})`);
    byTeam.set(card.team, card.file);
    if (teams && !teams.includes(card.team)) error(card.file, `team ${card.team} is defined by no policy file`);
    const sections = new Set<string>();
    const questions = new Set<string>();
    for (const s of card.sections) {
      if (sections.has(s.id)) error(card.file, `section id ${s.id} is used twice`);
      sections.add(s.id);
      for (const q of s.questions) {
        if (questions.has(q.id)) error(card.file, `question id ${q.id} is used twice (ids are unique in a scorecard)`);
        questions.add(q.id);
        if (q.critical && q.type === "scale")
          error(card.file, `question ${q.id}: only yes-no questions can be critical (a "no" fails the review)`);
      }
    }
    const total = card.sections.reduce((sum, s) => sum + s.weight, 0);
    if (Math.abs(total - 100) > 1e-9)
      warn(card.file, `section weights add up to ${total}, not 100: they are used as relative weights`);
    if (card.sampling.perAgentPerWeek > 0 && card.reviewers.length === 0)
      warn(card.file, "recordings are sampled but no reviewers are listed: the queue assigns nobody by itself");
  }
  for (const team of teams ?? [])
    if (!byTeam.has(team)) warn("scorecards", `team ${team} has no scorecard: its recordings cannot be reviewed`);
  return issues;
}
