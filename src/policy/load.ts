import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { parseDocument } from "yaml";
import type { z } from "zod";
import { yamlLocator as locator, type YamlPath as Path } from "../yaml-locator.js";
import {
  consentPolicyOf,
  issueMessage,
  AREA_CODES_FILE,
  JURISDICTION_FILE,
  SETS_FILE,
  JurisdictionDataError,
  loadJurisdictionData,
  type JurisdictionData,
} from "../consent/index.js";
import { consentReferenceProblems } from "./consent.js";
import { contentHash } from "./hash.js";
import { fieldNames, nearest } from "./suggest.js";
import { teamPolicyFileSchema, type MatchFile, type RuleFile, type TeamPolicyFile } from "./schema.js";
import {
  DEFAULT_UNTIL,
  type CustomerStorage,
  type MatchConditions,
  type PolicyRule,
  type RecordingUntil,
  type TeamPolicy,
} from "./types.js";

export class PolicyError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid policies:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "PolicyError";
  }
}

export interface PolicyFileText {
  name: string;
  text: string;
}

function conditionsOf(match: MatchFile, defaultZone: string | undefined): MatchConditions {
  const { time, ...rest } = match;
  if (!time) return rest;
  // The schema refuses a time condition without a zone when the team has none either.
  return { ...rest, time: { zone: time.zone ?? defaultZone ?? "UTC", windows: time.windows } };
}

function ruleOf(
  rule: RuleFile,
  defaultZone: string | undefined,
  teamUntil: RecordingUntil | undefined,
  storage: CustomerStorage | undefined,
): PolicyRule {
  const base = {
    id: rule.id,
    ...(rule.description ? { description: rule.description } : {}),
    match: conditionsOf(rule.match, defaultZone),
  };
  if (rule.mode === "never") return { ...base, mode: "never", ...(rule.reason ? { reason: rule.reason } : {}) };
  const recording = rule.recording ?? { content: "audio", channel: "mixed", format: "wav", pauseOnStart: false };
  return {
    ...base,
    mode: rule.mode,
    recording: {
      content: recording.content,
      channel: recording.channel,
      format: recording.format,
      pauseOnStart: recording.pauseOnStart,
      // Unmixed audio puts team members on the first channels unless the rule says otherwise.
      participantOrdering: recording.participantOrdering ?? (recording.channel === "unmixed" ? "team-first" : "none"),
      // The team's storage travels with every one of its rules' recordings (docs/byos.md).
      ...(storage ? { storage } : {}),
    },
    ...(rule.announcement ? { announcement: announcementOf(rule.announcement) } : {}),
    enforcement: rule.enforcement ?? { startWithinSeconds: 15, onStartFailure: "alert", onStop: "alert" },
    retention: { days: rule.retention?.days ?? null, legalHold: rule.retention?.legalHold ?? false },
    pause: { allowed: rule.pause?.allowed ?? false, autoResumeSeconds: rule.pause?.autoResumeSeconds ?? null },
    samplePercent: rule.samplePercent ?? 100,
    until: rule.until ?? teamUntil ?? DEFAULT_UNTIL,
    stop: { allowed: rule.stop?.allowed ?? false, reasons: rule.stop?.reasons ?? [] },
    ...(rule.consent ? { consent: consentPolicyOf(rule.consent) } : {}),
  };
}

function announcementOf(value: NonNullable<RuleFile["announcement"]>) {
  if (value.audioUrl !== undefined) return { audioUrl: value.audioUrl };
  return { text: value.text ?? "", ...(value.locale ? { locale: value.locale } : {}) };
}

function teamPolicyOf(file: string, text: string, data: TeamPolicyFile, where: (path: Path) => string): TeamPolicy {
  const zone = data.team.timeZone;
  const { kind, containerUrl } = data.team.storage ?? { kind: "acs" };
  const storage: CustomerStorage | undefined =
    kind === "customer" && containerUrl ? { kind: "customer", containerUrl } : undefined;
  return {
    file,
    hash: contentHash(text),
    team: {
      id: data.team.id,
      name: data.team.name,
      ...(data.team.defaultLocation ? { defaultLocation: data.team.defaultLocation } : {}),
    },
    ...(storage ? { storage } : {}),
    members: data.members,
    exemptions: data.exemptions.map((e) => ({
      id: e.id,
      reason: e.reason,
      ...(e.members ? { members: e.members } : {}),
      match: conditionsOf(e.match, zone),
      ...(e.until ? { until: e.until } : {}),
    })),
    rules: data.rules.map((rule) => ruleOf(rule, zone, data.team.until, storage)),
    positions: {
      members: data.members.map((_, i) => where(["members", i])),
      exemptions: data.exemptions.map((_, i) => where(["exemptions", i])),
      rules: data.rules.map((_, i) => where(["rules", i])),
    },
  };
}

const KNOWN_FIELDS = fieldNames(teamPolicyFileSchema);

/** `; did you mean "mode"?` for a misspelt field or option, when one known word is near enough; else "". */
function didYouMean(issue: z.core.$ZodIssue, path: PropertyKey[], value: unknown): string {
  const typed =
    issue.code === "unrecognized_keys" ? String(path.at(-1)) : typeof value === "string" ? value : undefined;
  const known =
    issue.code === "unrecognized_keys"
      ? KNOWN_FIELDS
      : issue.code === "invalid_value"
        ? issue.values.filter((v): v is string => typeof v === "string")
        : [];
  const guess = typed === undefined ? undefined : nearest(typed, known);
  return guess ? `; did you mean "${guess}"?` : "";
}

/** Parses one policy file's text; problems carry `file:line:column`. */
export function parsePolicyFile(file: string, text: string): TeamPolicy {
  const document = parseDocument(text, { prettyErrors: false });
  const where = locator(file, text, document);
  if (document.errors.length > 0) {
    throw new PolicyError(document.errors.map((error) => `${where.at(error.pos[0])}: ${error.message}`));
  }
  const parsed = teamPolicyFileSchema.safeParse(document.toJS());
  if (!parsed.success) {
    throw new PolicyError(
      parsed.error.issues.flatMap((issue) => {
        // Point an unknown field at the field itself rather than at the object holding it.
        const paths = issue.code === "unrecognized_keys" ? issue.keys.map((key) => [...issue.path, key]) : [issue.path];
        return paths.map((path) => {
          const missing = issue.code === "invalid_type" && issue.message.endsWith("received undefined");
          const message =
            issue.code === "unrecognized_keys" ? "unknown field" : missing ? "missing (required)" : issueMessage(issue);
          return `${where.of(path as Path)}: ${path.join(".") || "(file)"}: ${message}${didYouMean(issue, path, document.getIn(path))}`;
        });
      }),
    );
  }
  return teamPolicyOf(file, text, parsed.data, where.of);
}

/**
 * The `*.yaml` / `*.yml` files of a directory, in file-name order; not the jurisdiction data (`jurisdictions.*.yaml`),
 * the teams' directories (`<team>.directory.yaml`, src/directory), which name people and decide nothing, nor the QA
 * scorecards (`<team>.scorecard.yaml`, src/reviews). They all sit flat in one directory because the Kubernetes
 * ConfigMap that carries them takes no subfolders (docs/operations.md).
 */
export async function readPolicyFiles(dir: string): Promise<PolicyFileText[]> {
  const names = (await readdir(dir))
    .filter(
      (name) =>
        /\.ya?ml$/.test(name) &&
        !JURISDICTION_FILE.test(name) &&
        !/\.directory\.ya?ml$/.test(name) &&
        !/\.scorecard\.ya?ml$/.test(name),
    )
    .sort();
  return Promise.all(names.map(async (name) => ({ name, text: await readFile(join(dir, name), "utf8") })));
}

/**
 * The jurisdiction data of a policy directory (`<dir>/jurisdictions.sets.yaml` and
 * `<dir>/jurisdictions.nanp-area-codes.yaml`, docs/consent.md "The data files"): null when the directory has
 * neither; problems when one is missing or either is invalid.
 */
export async function readJurisdictions(dir: string): Promise<{ data: JurisdictionData | null; problems: string[] }> {
  const names = await readdir(dir);
  if (!names.includes(SETS_FILE) && !names.includes(AREA_CODES_FILE)) return { data: null, problems: [] };
  try {
    return { data: await loadJurisdictionData(dir), problems: [] };
  } catch (error) {
    if (error instanceof JurisdictionDataError) return { data: null, problems: error.problems };
    throw error;
  }
}

/**
 * Parses a set of files; every problem of every file is collected, so one run of lint shows them all.
 * `jurisdictions`: the directory's jurisdiction data (null: it has none), against which consent blocks are
 * checked (a set a rule names must exist); undefined: not checked (callers that only decide whether to record).
 */
export function parsePolicySet(
  dir: string,
  files: readonly PolicyFileText[],
  jurisdictions?: JurisdictionData | null,
): { policies: TeamPolicy[]; problems: string[] } {
  if (files.length === 0) return { policies: [], problems: [`${dir}: no policy files (*.yaml)`] };
  const problems: string[] = [];
  const policies: TeamPolicy[] = [];
  for (const { name, text } of files) {
    try {
      policies.push(parsePolicyFile(name, text));
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
  if (jurisdictions !== undefined) problems.push(...consentReferenceProblems(policies, jurisdictions, dir));
  return { policies, problems };
}

/**
 * Loads every policy file of a directory, in file-name order, with its jurisdiction data; any invalid file fails
 * the whole load, and so does a consent block naming a set the data does not define.
 */
export async function loadPolicySet(
  dir: string,
): Promise<{ policies: TeamPolicy[]; jurisdictions: JurisdictionData | null }> {
  const files = await readPolicyFiles(dir);
  const read = await readJurisdictions(dir);
  const { policies, problems } = parsePolicySet(dir, files, read.problems.length > 0 ? undefined : read.data);
  problems.push(...read.problems);
  if (problems.length > 0) throw new PolicyError(problems);
  return { policies, jurisdictions: read.data };
}

/** Loads every policy file of a directory, in file-name order; any invalid file fails the whole load. */
export async function loadPolicies(dir: string): Promise<TeamPolicy[]> {
  return (await loadPolicySet(dir)).policies;
}
