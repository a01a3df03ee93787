import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { parseDocument } from "yaml";
import type { z } from "zod";
import { createHash } from "node:crypto";
import { areaCodesFileSchema, jurisdictionSetsFileSchema } from "./schema.js";
import type { AreaCodeTable, JurisdictionSets } from "./types.js";

// Reading the jurisdiction data: `<policies>/jurisdictions.sets.yaml` and `<policies>/jurisdictions.nanp-area-codes.yaml`,
// beside the team files (flat, so one ConfigMap made from the policy folder carries them); the policy loader leaves
// `jurisdictions.*.yaml` out of the team files.

export const SETS_FILE = "jurisdictions.sets.yaml";
export const AREA_CODES_FILE = "jurisdictions.nanp-area-codes.yaml";
/** The jurisdiction files' names: not team policies. */
export const JURISDICTION_FILE = /^jurisdictions\.[^/]*\.ya?ml$/;

export class JurisdictionDataError extends Error {
  readonly status = 500;
  readonly expose = false;
  constructor(readonly problems: string[]) {
    super(`Invalid jurisdiction data:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "JurisdictionDataError";
  }
}

/** The jurisdiction data a consent decision reads, with the hash that decisions cite. */
export interface JurisdictionData {
  sets: JurisdictionSets;
  areaCodes: AreaCodeTable;
  /** SHA-256 over both files' names and texts. */
  hash: string;
}

/** A record key's own problem ("a three-digit NANP area code") rather than zod's "Invalid key in record". */
export function issueMessage(issue: z.core.$ZodIssue): string {
  if (issue.code === "invalid_key") return issue.issues.map((inner) => inner.message).join("; ");
  return issue.message;
}

function parseYaml<T>(file: string, text: string, schema: z.ZodType<T>): T {
  const document = parseDocument(text, { prettyErrors: false });
  if (document.errors.length > 0) {
    throw new JurisdictionDataError(document.errors.map((error) => `${file}: ${error.message}`));
  }
  const parsed = schema.safeParse(document.toJS());
  if (!parsed.success) {
    throw new JurisdictionDataError(
      parsed.error.issues.map((issue) => `${file}: ${issue.path.join(".") || "(file)"}: ${issueMessage(issue)}`),
    );
  }
  return parsed.data;
}

export function parseJurisdictionSets(file: string, text: string): JurisdictionSets {
  const data = parseYaml(file, text, jurisdictionSetsFileSchema);
  return new Map(
    Object.entries(data.sets).map(([name, set]) => [
      name,
      {
        name,
        ...(set.description ? { description: set.description } : {}),
        sources: set.sources,
        jurisdictions: set.jurisdictions,
      },
    ]),
  );
}

export function parseAreaCodes(file: string, text: string): AreaCodeTable {
  const data = parseYaml(file, text, areaCodesFileSchema);
  return new Map(Object.entries(data.areaCodes));
}

export function parseJurisdictionData(sets: { name: string; text: string }, areaCodes: { name: string; text: string }) {
  const problems: string[] = [];
  const attempt = <T>(read: () => T): T | undefined => {
    try {
      return read();
    } catch (error) {
      if (error instanceof JurisdictionDataError) problems.push(...error.problems);
      else throw error;
      return undefined;
    }
  };
  const parsedSets = attempt(() => parseJurisdictionSets(sets.name, sets.text));
  const parsedCodes = attempt(() => parseAreaCodes(areaCodes.name, areaCodes.text));
  if (!parsedSets || !parsedCodes) throw new JurisdictionDataError(problems);
  const hash = createHash("sha256")
    .update(`${sets.name}\0${sets.text}\0${areaCodes.name}\0${areaCodes.text}\0`)
    .digest("hex");
  return { sets: parsedSets, areaCodes: parsedCodes, hash } satisfies JurisdictionData;
}

/** Reads `<policiesDir>/jurisdictions.{sets,nanp-area-codes}.yaml`; a missing or invalid file is an error. */
export async function loadJurisdictionData(policiesDir: string): Promise<JurisdictionData> {
  const read = async (name: string) => {
    const path = join(policiesDir, name);
    try {
      return { name, text: await readFile(path, "utf8") };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") {
        throw new JurisdictionDataError([`${path}: missing (docs/consent.md "The data files")`]);
      }
      throw error;
    }
  };
  return parseJurisdictionData(await read(SETS_FILE), await read(AREA_CODES_FILE));
}
