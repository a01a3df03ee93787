import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { parseScorecard, ScorecardError, type Scorecard } from "./scorecard.js";

/** Where a policy directory keeps its scorecards (the policy loader reads only the directory's own *.yaml). */
export const SCORECARD_FOLDER = "scorecards";

export interface ScorecardSet {
  scorecards: Scorecard[];
  problems: string[];
  /** Scorecard files read (valid or not). */
  files: number;
}

/** Every `<policyDir>/scorecards/*.yaml`, parsed; a missing folder is no scorecards (not an error). */
export async function readScorecards(policyDir: string): Promise<ScorecardSet> {
  const dir = join(policyDir, SCORECARD_FOLDER);
  let names: string[];
  try {
    names = (await readdir(dir)).filter((name) => /\.ya?ml$/.test(name)).sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return { scorecards: [], problems: [], files: 0 };
    throw error;
  }
  const scorecards: Scorecard[] = [];
  const problems: string[] = [];
  for (const name of names) {
    const file = join(SCORECARD_FOLDER, name);
    try {
      scorecards.push(parseScorecard(file, await readFile(join(dir, name), "utf8")));
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
