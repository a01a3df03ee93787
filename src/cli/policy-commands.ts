import { readFile } from "node:fs/promises";
import { lintDirectories, parseDirectorySet, readDirectoryFiles } from "../directory/index.js";
import {
  describeDecision,
  explainCall,
  isInstant,
  lintPolicies,
  loadPolicies,
  parseCallsJsonl,
  parsePolicySet,
  policySetHash,
  participantFromInput,
  readPolicyFiles,
  replayCalls,
  type CallFacts,
  type DecisionChange,
} from "../policy/index.js";

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
  try {
    files = await readPolicyFiles(dir);
  } catch (error) {
    io.err(`error    ${dir}: ${(error as Error).message}`);
    return 1;
  }
  const { policies, problems } = parsePolicySet(dir, files);
  for (const p of policies) {
    io.out(
      `ok       ${p.file}  team ${p.team.id}  ${p.exemptions.length} exemption(s), ${p.rules.length} rule(s)  sha256 ${p.hash}`,
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
    ...lintPolicies(policies, today),
    ...lintDirectories(directorySet.directories, teams, policiesComplete),
  ];
  for (const warning of warnings) io.err(`warning  ${warning.where}: ${warning.message}`);
  if (problems.length === 0) io.out(`policy set sha256 ${policySetHash(policies)}`);
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
  const fileCount = files.length + directoryFiles.length;
  io.out(`${plural(fileCount, "file")}: ${plural(problems.length, "error")}, ${plural(warnings.length, "warning")}`);
  return problems.length > 0 ? 1 : 0;
}

export interface ExplainOptions {
  dir: string;
  from: string;
  to: string;
  with: string[];
  at?: string;
  callKey?: string;
  json?: boolean;
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
  const { decision, text } = explainCall(await loadPolicies(options.dir), facts);
  io.out(options.json ? JSON.stringify(decision, null, 2) : text);
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
  const [before, after] = [await loadPolicies(oldDir), await loadPolicies(newDir)];
  const calls = parseCallsJsonl(options.calls, await readFile(options.calls, "utf8"));
  const result = replayCalls(before, after, calls);
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
