import type { Logger } from "../log.js";
import { DirectoryError, parseDirectorySet, readDirectoryFiles, type DirectoryFileText } from "./load.js";
import { lookupEntry, searchDirectory } from "./match.js";
import type { DirectorySource, TeamDirectory } from "./types.js";

/** A source over directories already in memory (tests, and the file-backed source's current set). */
export function directorySourceOf(directories: readonly TeamDirectory[]): DirectorySource {
  const byTeam = new Map(directories.map((d) => [d.team, d]));
  return {
    lookup: async (teamId, identity) => lookupEntry(byTeam.get(teamId), identity),
    search: async (teamId, text) => searchDirectory(byTeam.get(teamId), text),
  };
}

export interface FileDirectorySource extends DirectorySource {
  /** Re-reads the files now; an invalid set is refused and the one in force stays (its problems are returned). */
  reload(): Promise<{ result: "success" | "unchanged" } | { result: "failure"; problems: string[] }>;
  close(): void;
}

const fingerprint = (files: readonly DirectoryFileText[]) => files.map((f) => `${f.name}\0${f.text}\0`).join("");

/**
 * The `policies/<team-id>.directory.yaml` files as a DirectorySource. The first load must succeed (DirectoryError
 * otherwise: a process never starts with names it cannot trust); later the files are re-read every `recheckMs`
 * and a valid change replaces the whole set, an invalid one is logged and refused.
 */
export async function createFileDirectorySource(
  dir: string,
  logger: Logger,
  options: { recheckMs?: number } = {},
): Promise<FileDirectorySource> {
  const files = await readDirectoryFiles(dir);
  const first = parseDirectorySet(files);
  if (first.problems.length > 0) throw new DirectoryError(first.problems);
  let current = directorySourceOf(first.directories);
  let seen = fingerprint(files);
  logger.info({ dir, teams: first.directories.map((d) => d.team) }, "directories loaded");

  const reload: FileDirectorySource["reload"] = async () => {
    try {
      const latest = await readDirectoryFiles(dir);
      const print = fingerprint(latest);
      if (print === seen) return { result: "unchanged" };
      seen = print;
      const next = parseDirectorySet(latest);
      if (next.problems.length > 0) {
        logger.error({ dir, problems: next.problems }, "directory change refused: the previous names stay in force");
        return { result: "failure", problems: next.problems };
      }
      current = directorySourceOf(next.directories);
      logger.info({ dir, teams: next.directories.map((d) => d.team) }, "directories reloaded");
      return { result: "success" };
    } catch (error) {
      seen = "";
      const problems = [`${dir}: ${(error as Error).message}`];
      logger.error({ dir, problems }, "directory change refused: the previous names stay in force");
      return { result: "failure", problems };
    }
  };
  const timer = setInterval(() => void reload(), options.recheckMs ?? 30_000);
  timer.unref();
  return {
    lookup: (teamId, identity) => current.lookup(teamId, identity),
    search: (teamId, text) => current.search(teamId, text),
    reload,
    close: () => clearInterval(timer),
  };
}
