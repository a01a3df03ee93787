import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import {
  lintDirectories,
  loadDirectories,
  lookupEntry,
  parseDirectorySet,
  readDirectoryFiles,
} from "../directory/index.js";
import {
  decide,
  describeDecision,
  directoryLocationsFor,
  explainCall,
  isInstant,
  lintPolicies,
  loadPolicySet,
  parseCallsJsonl,
  parsePolicySet,
  policySetHash,
  participantFromInput,
  readJurisdictions,
  readPolicyFiles,
  replayCalls,
  type CallFacts,
  type DecisionChange,
} from "../policy/index.js";
import { lintScorecards, OLD_SCORECARD_FOLDER, readScorecards } from "../reviews/index.js";

// `recorder policy lint | explain | diff`: the policy owners' tools. Each returns the process exit code.

export interface Output {
  out(line: string): void;
  err(line: string): void;
}

/** Validates a directory: errors (exit 1) and warnings (printed, exit 0), for a policy repository's CI. */
export async function lintCommand(
  dir: string,
  io: Output,
  today: string = new Date().toISOString().slice(0, 10),
): Promise<number> {
  let files;
  let jurisdictions;
  try {
    files = await readPolicyFiles(dir);
    jurisdictions = await readJurisdictions(dir);
  } catch (error) {
    io.err(`error    ${dir}: ${(error as Error).message}`);
    return 1;
  }
  const data = jurisdictions.problems.length > 0 ? undefined : jurisdictions.data;
  const parsed = parsePolicySet(dir, files, data);
  const { policies } = parsed;
  const problems = [...jurisdictions.problems, ...parsed.problems];
  for (const p of policies) {
    io.out(
      `ok       ${p.file}  team ${p.team.id}  ${p.exemptions.length} exemption(s), ${p.rules.length} rule(s)  sha256 ${p.hash}`,
    );
  }
  if (data) {
    io.out(
      `ok       jurisdictions.*.yaml  ${data.sets.size} set(s), ${data.areaCodes.size} area code(s)  sha256 ${data.hash}`,
    );
  }
  for (const problem of problems) io.err(`error    ${problem}`);
  // The teams' directories (<team>.directory.yaml, docs/directory.md): names for ids, checked against the members.
  const directoryFiles = await readDirectoryFiles(dir);
  const directorySet = parseDirectorySet(directoryFiles);
  const policiesComplete = problems.length === 0;
  for (const d of directorySet.directories)
    io.out(`ok       ${d.file}  directory of ${d.team}  ${d.entries.length} entries`);
  for (const problem of directorySet.problems) io.err(`error    ${problem}`);
  problems.push(...directorySet.problems);
  const teams = policies.map((p) => ({
    team: p.team.id,
    file: p.file,
    members: p.members,
    ...(p.positions ? { positions: p.positions.members } : {}),
  }));
  const warnings = [
    ...lintPolicies(policies, today, data),
    ...lintDirectories(directorySet.directories, teams, policiesComplete),
  ];
  for (const warning of warnings) io.err(`warning  ${warning.where}: ${warning.message}`);
  if (problems.length === 0) io.out(`policy set sha256 ${policySetHash(policies)}`);
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
  const fileCount = files.length + directoryFiles.length;
  io.out(`${plural(fileCount, "file")}: ${plural(problems.length, "error")}, ${plural(warnings.length, "warning")}`);
  const scorecardErrors = await lintScorecardFiles(dir, problems.length === 0 ? policies : undefined, io);
  return problems.length > 0 || scorecardErrors > 0 ? 1 : 0;
}

/** The QA scorecards `<dir>/*.scorecard.yaml` (docs/reviews.md), when there are any; returns the errors found. */
async function lintScorecardFiles(dir: string, policies: readonly { team: { id: string } }[] | undefined, io: Output) {
  // Scorecards once lived in `<dir>/scorecards/`; nothing reads that folder now (a ConfigMap has no subfolders).
  const oldFolder = await stat(join(dir, OLD_SCORECARD_FOLDER)).then(
    (s) => s.isDirectory(),
    () => false,
  );
  if (oldFolder)
    io.err(
      `warning  ${OLD_SCORECARD_FOLDER}/: not read; scorecards are <team>.scorecard.yaml beside the policies (docs/reviews.md)`,
    );
  const { scorecards, problems, files } = await readScorecards(dir);
  if (files === 0) return 0;
  for (const card of scorecards) {
    const questions = card.sections.reduce((n, s) => n + s.questions.length, 0);
    io.out(
      `ok       ${card.file}  team ${card.team}  ${card.sections.length} section(s), ${questions} question(s)  sha256 ${card.hash}`,
    );
  }
  for (const problem of problems) io.err(`error    ${problem}`);
  const issues = lintScorecards(
    scorecards,
    policies?.map((p) => p.team.id),
  );
  for (const issue of issues)
    io.err(`${issue.level === "error" ? "error   " : "warning "} ${issue.where}: ${issue.message}`);
  const errors = problems.length + issues.filter((i) => i.level === "error").length;
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
  io.out(
    `${plural(files, "scorecard")}: ${plural(errors, "error")}, ${plural(issues.length - (errors - problems.length) + (oldFolder ? 1 : 0), "warning")}`,
  );
  return errors;
}

export interface ExplainOptions {
  dir: string;
  from: string;
  to: string;
  with: string[];
  at?: string;
  callKey?: string;
  json?: boolean;
  /** `<participant>=<location>`: where a party is, as the team directory would say (what-if). */
  located?: string[];
}

/** Decides one call described on the command line and prints why, in words (or the decision as JSON). */
export async function explainCommand(options: ExplainOptions, io: Output): Promise<number> {
  const at = options.at ?? new Date().toISOString();
  if (!isInstant(at)) {
    io.err(`error: --at ${at}: give a time with its offset, e.g. 2026-11-23T09:00:00Z or 2026-11-23T10:00:00+01:00`);
    return 1;
  }
  const parties = [
    ["--from", options.from],
    ["--to", options.to],
    ...options.with.map((id) => ["--with", id] as const),
  ] as const;
  const ids: string[] = [];
  for (const [option, input] of parties) {
    const parsed = participantFromInput(input);
    if ("problem" in parsed) {
      io.err(`error: ${option} ${parsed.problem}`);
      return 1;
    }
    ids.push(parsed.rawId);
  }
  const [caller = "", callee = ""] = ids;
  const facts: CallFacts = {
    participants: ids,
    caller,
    callee,
    at,
    ...(options.callKey ? { callKey: options.callKey } : {}),
  };
  const locations = new Map<string, string>();
  for (const entry of options.located ?? []) {
    const [who = "", where = ""] = entry.split("=");
    const parsed = participantFromInput(who);
    if ("problem" in parsed || !/^[A-Za-z]{2}(-[A-Za-z0-9]{1,3})?$/.test(where.trim())) {
      io.err(
        `error: --located ${entry}: give <participant>=<ISO 3166 location>, e.g. +14155550100=US-CA or 8:acs:…=FR`,
      );
      return 1;
    }
    locations.set(parsed.rawId, where.trim());
  }
  const { policies, jurisdictions } = await loadPolicySet(options.dir);
  // Where people are, as the recording teams' directories (<team>.directory.yaml) say; --located overrides them.
  const directories = await loadDirectories(options.dir);
  const listed = await directoryLocationsFor(policies, decide(policies, facts), facts, (teamId, rawId) =>
    lookupEntry(
      directories.find((d) => d.team === teamId),
      rawId,
    ),
  );
  const env = jurisdictions
    ? {
        sets: jurisdictions.sets,
        areaCodes: jurisdictions.areaCodes,
        hash: jurisdictions.hash,
        directoryLocation: (rawId: string) => locations.get(rawId) ?? listed(rawId),
      }
    : undefined;
  const { decision, consent, text } = explainCall(policies, facts, env);
  io.out(options.json ? JSON.stringify(consent ? { ...decision, consent } : decision, null, 2) : text);
  return 0;
}

export interface DiffOptions {
  calls: string;
  exitCode?: boolean;
}

function changeLines(change: DecisionChange): string[] {
  const { call } = change;
  const route = [call.caller ?? "?", "→", call.callee ?? "?"].join(" ");
  return [
    `call ${call.serverCallId}  ${call.at ?? "(no time)"}  ${route}${call.participants.length > 2 ? ` (+${call.participants.length - 2})` : ""}`,
    `  before: ${describeDecision(change.before)}`,
    `  after:  ${describeDecision(change.after)}`,
    ...change.changes.map((line) => `  - ${line}`),
    "",
  ];
}

/** Replays past calls against two policy directories and lists every call whose decision would change. */
export async function diffCommand(oldDir: string, newDir: string, options: DiffOptions, io: Output): Promise<number> {
  const [old, now] = [await loadPolicySet(oldDir), await loadPolicySet(newDir)];
  const [before, after] = [old.policies, now.policies];
  const calls = parseCallsJsonl(options.calls, await readFile(options.calls, "utf8"));
  const environment = (data: typeof old.jurisdictions) =>
    data ? { sets: data.sets, areaCodes: data.areaCodes, hash: data.hash } : undefined;
  const result = replayCalls(before, after, calls, {
    before: environment(old.jurisdictions),
    after: environment(now.jurisdictions),
  });
  io.out(`Replaying ${calls.length} call(s) from ${options.calls}`);
  io.out(`  old: ${oldDir} (policy set sha256 ${policySetHash(before)})`);
  io.out(`  new: ${newDir} (policy set sha256 ${policySetHash(after)})`);
  io.out("");
  for (const change of result.changed) for (const line of changeLines(change)) io.out(line);
  const stopped = result.changed.filter((c) => c.before.record && !c.after.record).length;
  const started = result.changed.filter((c) => !c.before.record && c.after.record).length;
  const other = result.changed.length - stopped - started;
  io.out(
    `${result.replayed} call(s) replayed: ${result.changed.length} would change ` +
      `(${stopped} no longer recorded, ${started} newly recorded, ${other} decided differently).`,
  );
  return options.exitCode && result.changed.length > 0 ? 1 : 0;
}
