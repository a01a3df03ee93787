// What the consent suites share (test/e2e/consent*.test.ts, our-side-only.test.ts): a team policy whose rule asks
// all-party-consent parties for consent, and a policy directory holding it with the jurisdiction data and tokens.
import { cp, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sha256Hex } from "../../src/auth/tokens.js";
import { eventually, type Stack } from "./stack.js";

/** Area code 415: San Francisco, California (all-party consent); `base` keeps each suite's numbers apart. */
export const californianNumber = (base: number) => (n: number) => `4:+1415555${String(base + n)}`;

export interface ConsentTeamPolicy {
  id: string;
  name?: string;
  members: readonly string[];
  channel?: "mixed" | "unmixed";
  /** YAML of the rule's `accept:` (default: key 1). */
  accept?: string;
  onRefusal: "record-nothing" | "end-call" | "record-our-side-only";
  onSilence: "record-nothing" | "end-call" | "record-our-side-only";
  /** YAML of the `"*"` entry (default: a notice). */
  elsewhere?: string;
  /** Extra lines under `team:` (e.g. `storage:`) and beside `recording:` (e.g. `pause:`), indented as there. */
  teamLines?: string;
  ruleLines?: string;
}

export const consentTeamPolicy = (team: ConsentTeamPolicy) => `
version: 1
team:
  id: ${team.id}
  name: ${team.name ?? team.id}
  defaultLocation: GB
${team.teamLines ?? ""}
members:
${team.members.map((member) => `  - "${member}"`).join("\n")}
rules:
  - id: record-customer-calls
    mode: required
    recording: { content: audio, channel: ${team.channel ?? "mixed"}, format: wav }
${team.ruleLines ?? ""}
    enforcement: { startWithinSeconds: 10, onStartFailure: alert, onStop: alert }
    retention: { days: 30 }
    consent:
      all-party-consent:
        require: consent
        prompt: { text: "This call is recorded. Press 1 or say yes to agree.", locale: en-US }
        accept: ${team.accept ?? '{ dtmf: "1" }'}
        timeoutSeconds: 2
        onRefusal: ${team.onRefusal}
        onSilence: ${team.onSilence}
      "*": ${team.elsewhere ?? '{ require: notice, announcement: { text: "This call is recorded.", locale: en-GB } }'}
`;

/**
 * A policy directory (a temporary folder): the given files, the jurisdiction data of policies/, and a tokens file
 * for the given tokens (`API_TOKENS_FILE` is `tokensFile`).
 */
export async function consentPolicyDir(
  prefix: string,
  files: Record<string, string>,
  tokens: readonly { name: string; value: string; role: "team" | "auditor"; team?: string }[] = [],
): Promise<{ dir: string; tokensFile: string }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
  for (const data of ["jurisdictions.sets.yaml", "jurisdictions.nanp-area-codes.yaml"])
    await cp(join("policies", data), join(dir, data));
  const tokensFile = join(dir, "tokens.yaml.txt");
  const lines = tokens.map(
    (t) =>
      `  - { name: ${t.name}, role: ${t.role},${t.team ? ` team: ${t.team},` : ""} sha256: ${sha256Hex(t.value)} }`,
  );
  await writeFile(tokensFile, `tokens:\n${lines.join("\n")}\n`);
  return { dir, tokensFile };
}

/**
 * A three-way call from `agent` to two customers who both answer the consent prompt by pressing `key`; resolves once
 * a recording is active. Three parties, so that the agent's leaving does not end the call.
 */
export async function threeWayCall(stack: Stack, agent: string, customers: [string, string], key: string) {
  const [customer, other] = customers;
  const { serverCallId } = await stack.simulator.placeCall({
    from: agent,
    to: customer,
    additionalParticipants: [other],
    durationMs: 120_000,
  });
  for (const party of customers)
    await stack.simulator.scriptRecognizeAnswer(serverCallId, party, { kind: "dtmf", tones: [key], afterMs: 200 });
  await eventually(
    () => stack.simulator.getCall(serverCallId)?.recordings.find((r) => r.state === "active"),
    20_000,
    "the recording to be active",
  );
  return serverCallId;
}

/** The agent, the only one in scope, leaves; resolves once the call's first recording is stopped by scope. */
export async function agentLeaves(stack: Stack, serverCallId: string, agent: string) {
  await stack.simulator.removeParticipant(serverCallId, agent);
  await eventually(
    () => (stack.simulator.getCall(serverCallId)?.recordings[0]?.state === "stopped" ? true : undefined),
    10_000,
    "the scope stop",
  );
}
