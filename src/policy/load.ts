import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { parseDocument } from "yaml";
import { teamPolicyFileSchema } from "./schema.js";
import type { TeamPolicy } from "./types.js";

export class PolicyError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid policies:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "PolicyError";
  }
}

/** Parses one policy file's text; problems carry `file:line:column`. */
export function parsePolicyFile(file: string, text: string): TeamPolicy {
  const document = parseDocument(text, { prettyErrors: false });
  const lineOf = (offset: number | undefined): string => {
    if (offset === undefined) return `${file}`;
    const before = text.slice(0, offset).split("\n");
    return `${file}:${before.length}:${(before.at(-1)?.length ?? 0) + 1}`;
  };
  if (document.errors.length > 0) {
    throw new PolicyError(document.errors.map((error) => `${lineOf(error.pos[0])}: ${error.message}`));
  }
  const parsed = teamPolicyFileSchema.safeParse(document.toJS());
  if (!parsed.success) {
    throw new PolicyError(
      parsed.error.issues.flatMap((issue) => {
        // Point an unknown field at the field itself rather than at the object holding it.
        const paths = issue.code === "unrecognized_keys" ? issue.keys.map((key) => [...issue.path, key]) : [issue.path];
        return paths.map((path) => {
          const node = document.getIn(path as (string | number)[], true) as { range?: [number, number, number] } | undefined;
          const message = issue.code === "unrecognized_keys" ? `unknown field` : issue.message;
          return `${lineOf(node?.range?.[0])}: ${path.join(".") || "(file)"}: ${message}`;
        });
      }),
    );
  }
  const { team, members, rules } = parsed.data;
  return { file, hash: createHash("sha256").update(text).digest("hex"), team, members, rules };
}

/** Loads every `*.yaml` / `*.yml` in a directory, in file-name order; any invalid file fails the whole load. */
export async function loadPolicies(dir: string): Promise<TeamPolicy[]> {
  const files = (await readdir(dir)).filter((name) => /\.ya?ml$/.test(name)).sort();
  if (files.length === 0) throw new PolicyError([`${dir}: no policy files (*.yaml)`]);
  const problems: string[] = [];
  const policies: TeamPolicy[] = [];
  for (const name of files) {
    try {
      policies.push(parsePolicyFile(name, await readFile(join(dir, name), "utf8")));
    } catch (error) {
      if (error instanceof PolicyError) problems.push(...error.problems);
      else throw error;
    }
  }
  const seen = new Map<string, string>();
  for (const policy of policies) {
    const other = seen.get(policy.team.id);
    if (other) problems.push(`${policy.file}: team id ${policy.team.id} is already defined in ${other}`);
    seen.set(policy.team.id, policy.file);
  }
  if (problems.length > 0) throw new PolicyError(problems);
  return policies;
}
