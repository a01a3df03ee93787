import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { parseScorecard, ScorecardError, type Scorecard } from "./scorecard.js";

/**
 * `<team-id>.scorecard.yaml` beside the policies: flat, because in Kubernetes the policy directory is one ConfigMap
 * (`kubectl create configmap --from-file=policies/`), which takes no subfolders (docs/operations.md). The policy
 * loader skips these files (src/policy/load.ts `readPolicyFiles`).
 */
export const SCORECARD_FILE = /\.scorecard\.ya?ml$/;

/** Whether a file of the policy directory is a scorecard (and so not a policy). */
export const isScorecardFile = (fileName: string) => SCORECARD_FILE.test(fileName);

/** The folder scorecards lived in before they moved beside the policies; lint warns when one is still there. */
export const OLD_SCORECARD_FOLDER = "scorecards";

export interface ScorecardSet {
  scorecards: Scorecard[];
  problems: string[];
  /** Scorecard files read (valid or not). */
  files: number;
}

/** Every `<policyDir>/*.scorecard.yaml`, parsed, in file-name order; none is no scorecards (not an error). */
export async function readScorecards(policyDir: string): Promise<ScorecardSet> {
  const names = (await readdir(policyDir)).filter(isScorecardFile).sort();
  const scorecards: Scorecard[] = [];
  const problems: string[] = [];
  for (const name of names) {
    try {
      scorecards.push(parseScorecard(name, await readFile(join(policyDir, name), "utf8")));
    } catch (error) {
      if (error instanceof ScorecardError) problems.push(...error.problems);
      else throw error;
    }
  }
  return { scorecards, problems, files: names.length };
}

/** The scorecards by team; any invalid file fails the load (the service then offers no reviews, and says why). */
export async function loadScorecards(policyDir: string): Promise<Map<string, Scorecard>> {
  const { scorecards, problems } = await readScorecards(policyDir);
  if (problems.length > 0) throw new ScorecardError(problems);
  return new Map(scorecards.map((card) => [card.team, card]));
}

export interface ScorecardSource {
  /** The scorecards in force (by team): the last set that loaded whole. */
  current(): ReadonlyMap<string, Scorecard>;
  close(): void;
}

/**
 * The scorecards, re-read every `everyMs`: a change on disk takes effect without a restart; a set that does not
 * load keeps the previous one in force and is reported once per distinct set of problems (`onRefused`). The
 * first load must succeed: invalid scorecards stop the start, as invalid policies do.
 */
export async function createScorecardSource(
  policyDir: string,
  onRefused: (problems: string[]) => void,
  everyMs = 30_000,
): Promise<ScorecardSource> {
  let current = await loadScorecards(policyDir);
  let refused = "";
  const timer = setInterval(() => {
    loadScorecards(policyDir).then(
      (next) => {
        current = next;
        refused = "";
      },
      (error: unknown) => {
        const problems = error instanceof ScorecardError ? error.problems : [String(error)];
        if (problems.join("\n") !== refused) onRefused(problems);
        refused = problems.join("\n");
      },
    );
  }, everyMs);
  timer.unref();
  return { current: () => current, close: () => clearInterval(timer) };
}
