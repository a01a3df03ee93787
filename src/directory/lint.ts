import { identityKey, idMatches } from "./identity.js";
import type { TeamDirectory } from "./types.js";

/** A directory warning for `recorder policy lint`: legal, probably not meant. */
export interface DirectoryWarning {
  where: string;
  message: string;
}

/** What of a team lint needs: its id, file and member entries (raw ids, E.164 numbers, `+…*` ranges). */
export interface TeamMembers {
  team: string;
  file: string;
  members: readonly string[];
  positions?: readonly string[];
}

/**
 * Warnings of a directory set against the policies: a member without an entry (shown by id in the page), a
 * directory for a team no policy defines. A member range is covered by a range entry holding it or by one entry
 * inside it (its numbers are named one by one).
 */
export function lintDirectories(
  directories: readonly TeamDirectory[],
  teams: readonly TeamMembers[],
  /** False when some policy file could not be read: its team is unknown, so no directory is called an orphan. */
  teamsComplete = true,
) {
  const warnings: DirectoryWarning[] = [];
  const known = new Set(teams.map((t) => t.team));
  for (const directory of teamsComplete ? directories : []) {
    if (!known.has(directory.team)) {
      warnings.push({
        where: directory.file,
        message: `directory for team ${directory.team}, which no policy file defines: its names are never shown`,
      });
    }
  }
  for (const team of teams) {
    const directory = directories.find((d) => d.team === team.team);
    team.members.forEach((member, i) => {
      const key = identityKey(member);
      const covered = directory?.entries.some((entry) =>
        member.endsWith("*")
          ? (entry.id.endsWith("*") && idMatches(entry.id, key.slice(0, -1))) || idMatches(member, entry.id)
          : idMatches(entry.id, key),
      );
      if (!covered) {
        warnings.push({
          where: team.positions?.[i] ?? team.file,
          message: `member ${member} of team ${team.team} has no entry in ${directory?.file ?? `${team.team}.directory.yaml`}: reviewers see the id, not a name`,
        });
      }
    });
  }
  return warnings;
}
