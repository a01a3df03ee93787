import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { parseDocument } from "yaml";
import { directoryFileSchema } from "./schema.js";
import { yamlLocator as locator, type YamlPath as Path } from "../yaml-locator.js";
import type { TeamDirectory } from "./types.js";

export class DirectoryError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid directory files:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "DirectoryError";
  }
}

export interface DirectoryFileText {
  name: string;
  text: string;
}

/** `policies/<team-id>.directory.yaml`: the team a directory file belongs to, from its name; undefined for others. */
export function directoryTeamOf(fileName: string): string | undefined {
  return /^([a-z0-9_-]{1,64})\.directory\.ya?ml$/.exec(fileName)?.[1];
}

/** Whether a file in the policy directory is a directory file (and so not a policy). */
export const isDirectoryFile = (fileName: string) => /\.directory\.ya?ml$/.test(fileName);

/**
 * One directory file's text, validated: known identity formats, each identity once, the team the file is named
 * after. Problems carry `file:line:column`.
 */
export function parseDirectoryFile(file: string, text: string): TeamDirectory {
  const document = parseDocument(text, { prettyErrors: false });
  const where = locator(file, text, document);
  if (document.errors.length > 0) {
    throw new DirectoryError(document.errors.map((error) => `${where.at(error.pos[0])}: ${error.message}`));
  }
  const raw: unknown = document.toJS();
  const parsed = directoryFileSchema.safeParse(raw);
  const problems: string[] = [];
  if (!parsed.success) {
    problems.push(
      ...parsed.error.issues.flatMap((issue) => {
        const paths = issue.code === "unrecognized_keys" ? issue.keys.map((key) => [...issue.path, key]) : [issue.path];
        return paths.map((path) => {
          const message = issue.code === "unrecognized_keys" ? "unknown field" : issue.message;
          return `${where.of(path as Path)}: ${path.join(".") || "(file)"}: ${message}`;
        });
      }),
    );
  }
  // Each identity once, checked on what was written even when other fields are wrong, so one lint shows all.
  const people = (raw as { people?: unknown } | null)?.people;
  const seen = new Map<string, number>();
  (Array.isArray(people) ? people : []).forEach((entry: unknown, i) => {
    const id = (entry as { id?: unknown } | null)?.id;
    if (typeof id !== "string") return;
    const first = seen.get(id);
    if (first !== undefined) {
      problems.push(
        `${where.of(["people", i, "id"])}: people.${i}.id: ${id} is already listed (${where.of(["people", first])})`,
      );
    } else seen.set(id, i);
  });
  const named = directoryTeamOf(file.split("/").at(-1) ?? file);
  const team = (raw as { team?: unknown } | null)?.team;
  if (named !== undefined && typeof team === "string" && named !== team) {
    problems.push(`${where.of(["team"])}: team: ${team}, but the file is named for team ${named}`);
  }
  if (!parsed.success || problems.length > 0) throw new DirectoryError(problems);
  const data = parsed.data;
  return {
    team: data.team,
    file,
    ...(data.country ? { country: data.country } : {}),
    entries: data.people.map((p) => ({
      id: p.id,
      displayName: p.displayName,
      role: p.role,
      ...(p.email ? { email: p.email } : {}),
      ...(p.employeeId ? { employeeId: p.employeeId } : {}),
      ...(p.location ? { location: p.location } : {}),
    })),
    positions: data.people.map((_, i) => where.of(["people", i])),
  };
}

/** The `*.directory.yaml` files of the policy directory, in file-name order (none is fine: names are optional). */
export async function readDirectoryFiles(dir: string): Promise<DirectoryFileText[]> {
  const names = (await readdir(dir)).filter(isDirectoryFile).sort();
  return Promise.all(names.map(async (name) => ({ name, text: await readFile(join(dir, name), "utf8") })));
}

/** Every file parsed; every problem of every file collected (a second file for one team is one). */
export function parseDirectorySet(files: readonly DirectoryFileText[]): {
  directories: TeamDirectory[];
  problems: string[];
} {
  const directories: TeamDirectory[] = [];
  const problems: string[] = [];
  for (const { name, text } of files) {
    try {
      directories.push(parseDirectoryFile(name, text));
    } catch (error) {
      if (error instanceof DirectoryError) problems.push(...error.problems);
      else throw error;
    }
  }
  const seen = new Map<string, string>();
  for (const directory of directories) {
    const other = seen.get(directory.team);
    if (other) problems.push(`${directory.file}: team ${directory.team} already has a directory in ${other}`);
    seen.set(directory.team, directory.file);
  }
  return { directories, problems };
}

/** Loads every directory file of the policy directory; any invalid one fails the load. */
export async function loadDirectories(dir: string): Promise<TeamDirectory[]> {
  const { directories, problems } = parseDirectorySet(await readDirectoryFiles(dir));
  if (problems.length > 0) throw new DirectoryError(problems);
  return directories;
}
