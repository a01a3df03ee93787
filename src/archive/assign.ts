/**
 * `recorder recordings assign`: moves a quarantined recording to its call's layout (docs/archive.md
 * "Assigning a quarantined recording"). A blob under time-based retention or a legal hold cannot be deleted or
 * changed, so "move" is: a verified copy of every chunk and metadata document into the team's layout, protected
 * with the team policy's retention, a new manifest (which names where it came from), listed for the team and
 * written to the ledger; the quarantine copy stays as it is, under its own protection, until that expires, and a
 * new marker blob beside it (`assigned.json`) says where it went. Every attempt is audited.
 */
import { basename } from "node:path";
import { Readable } from "node:stream";
import type { ContainerClient } from "@azure/storage-blob";
import { z } from "zod";
import type { AuditLog } from "../audit/index.js";
import type { Ledger } from "../ledger/index.js";
import type { Decision, RecordingRule, Retention, TeamPolicy } from "../policy/index.js";
import { type RecordingIndex, indexManifest } from "../retrieval/index.js";
import type { CallSession, SessionStore } from "../sessions/index.js";
import { IngestVerificationFailed, ingestContent, ingestDocument, readDocument } from "./ingest.js";
import { chunkLabels } from "./labels.js";
import { acsMetadataDocument, buildManifest, type ArchivedChunk } from "./manifest.js";
import { writeManifest } from "./manifest-store.js";
import type { EvidenceSigner } from "../evidence/index.js";
import { QUARANTINE_AREA, recordingFolder } from "./naming.js";
import { retentionBase } from "./placement.js";
import type { RetentionPort } from "./retention.js";

/** Where an assigned recording goes: its team, the rule whose retention applies, and that retention. */
export interface AssignmentTarget {
  teamId: string;
  ruleId: string;
  policyHash: string;
  mode: "required" | "best-effort";
  retention: Retention;
  /** Where the target came from, for the audit trail. */
  source: "call decision" | "ledger" | "operator";
}

export class AssignRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = "AssignRefused";
  }
}

const recordingRules = (policy: TeamPolicy) => policy.rules.filter((r): r is RecordingRule => r.mode !== "never");

function fromRule(policy: TeamPolicy, rule: RecordingRule, source: AssignmentTarget["source"]): AssignmentTarget {
  return {
    teamId: policy.team.id,
    ruleId: rule.id,
    policyHash: policy.hash,
    mode: rule.mode,
    retention: rule.retention,
    source,
  };
}

/**
 * The team and retention an assigned recording gets (pure): the call's own decision when it still has one (a
 * call recorded by a policy); else the team and rule its ledger entry names, with that rule's retention in the
 * policies loaded now; else the team (and rule) the operator names — without a rule, the team's longest
 * retention. Refused when none of these gives a recording rule.
 */
export function assignmentTarget(input: {
  decision: Decision | undefined;
  ledger: { teamId?: string | undefined; ruleId?: string | undefined } | undefined;
  policies: readonly TeamPolicy[];
  team?: string | undefined;
  rule?: string | undefined;
}): AssignmentTarget {
  const { decision, policies } = input;
  const teamNamed = input.team !== undefined;
  if (decision?.record && (!teamNamed || input.team === decision.teamId) && input.rule === undefined)
    return {
      teamId: decision.teamId,
      ruleId: decision.ruleId,
      policyHash: decision.policyHash,
      mode: decision.mode,
      retention: decision.retention ?? { days: null, legalHold: false },
      source: "call decision",
    };
  if (decision?.record && teamNamed && input.team !== decision.teamId)
    throw new AssignRefused(`the call's decision files it under team ${decision.teamId}, not ${input.team ?? ""}`);
  const policyOf = (team: string) => {
    const policy = policies.find((p) => p.team.id === team);
    if (!policy) throw new AssignRefused(`no loaded policy for team ${team}`);
    return policy;
  };
  if (!teamNamed && input.ledger?.teamId && input.ledger.ruleId) {
    const policy = policyOf(input.ledger.teamId);
    const rule = recordingRules(policy).find((r) => r.id === input.ledger?.ruleId);
    if (rule) return fromRule(policy, rule, "ledger");
  }
  if (!input.team)
    throw new AssignRefused("no policy records this call: name the team (--team) and, if you like, the rule (--rule)");
  const policy = policyOf(input.team);
  const rules = recordingRules(policy);
  if (input.rule !== undefined) {
    const rule = rules.find((r) => r.id === input.rule);
    if (!rule) throw new AssignRefused(`team ${input.team} has no recording rule ${input.rule}`);
    return fromRule(policy, rule, "operator");
  }
  const longest = [...rules].sort((a, b) => (b.retention.days ?? 0) - (a.retention.days ?? 0))[0];
  if (!longest) throw new AssignRefused(`team ${input.team} has no recording rule`);
  return fromRule(policy, longest, "operator");
}

/** The fields of a quarantine manifest (src/archive/manifest.ts) the copy needs. */
const quarantineManifest = z.looseObject({
  serverCallId: z.string().nullable(),
  correlationId: z.string().nullable().optional(),
  recordingId: z.string(),
  team: z.literal(QUARANTINE_AREA),
  call: z.looseObject({
    caller: z.string().nullable().optional(),
    callee: z.string().nullable().optional(),
    participants: z.array(z.string()).default([]),
    startedAt: z.string().nullable().optional(),
  }),
  recording: z.looseObject({ startTime: z.string() }),
  correlation: z.looseObject({ callId: z.string().nullable().optional() }).optional(),
  chunks: z.array(
    z.looseObject({
      index: z.number().int().min(0),
      documentId: z.string(),
      endReason: z.string(),
      blob: z.string(),
      sha256: z.string(),
      metadataBlob: z.string(),
      metadataSha256: z.string(),
    }),
  ),
  timings: z.looseObject({ firstSeenAt: z.string().optional(), archivedAt: z.string() }),
});

export interface AssignStores {
  container: ContainerClient;
  retention: RetentionPort;
  sessions: Pick<SessionStore, "get">;
  ledger: Pick<Ledger, "get" | "getQuarantine" | "updateQuarantine" | "record">;
  index: Pick<RecordingIndex, "put">;
  audit: AuditLog;
  policies: readonly TeamPolicy[];
  ingest: { blockBytes: number; concurrency: number };
  /** Signs the new manifest (docs/evidence.md); without it the manifest is written unsigned. */
  signer?: EvidenceSigner;
}

export interface AssignRequest {
  /** The quarantined recording's key, as `ledger gaps` prints it. */
  recordingId: string;
  serverCallId: string;
  /** Who does it (the audit trail's actor). */
  by: string;
  reason: string;
  team?: string | undefined;
  rule?: string | undefined;
}

export interface AssignResult {
  manifest: string;
  teamId: string;
  retainUntil: string | undefined;
  legalHold: boolean;
  chunks: number;
  /** True when it had been assigned to this call before (nothing done again). */
  already: boolean;
}

export async function assignRecording(
  stores: AssignStores,
  request: AssignRequest,
  now: () => Date = () => new Date(),
): Promise<AssignResult> {
  const { recordingId, serverCallId } = request;
  const audit = (outcome: string, detail?: Record<string, unknown>) =>
    stores.audit.append({
      at: now().toISOString(),
      actor: request.by,
      role: "operator",
      action: "recordings:assign",
      serverCallId,
      recordingId,
      reason: request.reason,
      outcome,
      from: "cli",
      ...(detail ? { detail } : {}),
    });
  const refuse = async (message: string): Promise<never> => {
    await audit(`refused: ${message}`);
    throw new AssignRefused(message);
  };

  const entry = await stores.ledger.getQuarantine(recordingId);
  if (!entry) return refuse(`no quarantined recording ${recordingId}`);
  if (entry.state === "assigned" && entry.assigned) {
    if (entry.assigned.serverCallId !== serverCallId)
      return refuse(`already assigned to call ${entry.assigned.serverCallId}`);
    return {
      manifest: entry.assigned.manifest,
      teamId: entry.assigned.teamId,
      retainUntil: undefined,
      legalHold: false,
      chunks: 0,
      already: true,
    };
  }
  if (!entry.manifest) return refuse(`recording ${recordingId} is still being archived: try again once it is`);
  const source = await readQuarantineManifest(stores.container, entry.manifest);
  if (!source) return refuse(`the quarantine manifest ${entry.manifest} is missing or unreadable`);
  if (source.serverCallId && source.serverCallId !== serverCallId)
    return refuse(`the recording was found to be call ${source.serverCallId}'s, not ${serverCallId}'s`);

  const [session, ledgerEntry] = await Promise.all([
    stores.sessions.get(serverCallId),
    stores.ledger.get(serverCallId),
  ]);
  let target: AssignmentTarget;
  try {
    target = assignmentTarget({
      decision: session.decision,
      ledger: ledgerEntry,
      policies: stores.policies,
      team: request.team,
      rule: request.rule,
    });
  } catch (error) {
    if (error instanceof AssignRefused) return refuse(error.message);
    throw error;
  }
  // The call's start as we saw it, if its session is still there; else when the recording event was first seen.
  const retainFrom = retentionBase(session, source.timings.firstSeenAt ?? entry.quarantinedAt);
  await audit("started", { teamId: target.teamId, ruleId: target.ruleId, source: target.source, retainFrom });

  try {
    const result = await copyToCall(stores, request, entry.manifest, source, target, retainFrom, session, now);
    await stores.ledger.record({
      serverCallId,
      ...(ledgerEntry?.correlationId || source.correlationId
        ? { correlationId: ledgerEntry?.correlationId ?? source.correlationId ?? undefined }
        : {}),
      outcome: "recorded",
      reason: `archived and verified (assigned from the quarantine by ${request.by})`,
      recordingId,
      manifest: result.manifest,
      teamId: target.teamId,
      ruleId: target.ruleId,
      policyHash: target.policyHash,
    });
    const assigned = {
      serverCallId,
      teamId: target.teamId,
      manifest: result.manifest,
      by: request.by,
      at: now().toISOString(),
      reason: request.reason,
    };
    await stores.ledger.updateQuarantine(recordingId, { state: "assigned", assigned });
    await writeMarker(stores.container, entry.manifest, assigned);
    await audit("assigned", { manifest: result.manifest, teamId: target.teamId, retainUntil: result.retainUntil });
    return result;
  } catch (error) {
    await audit(`failed: ${(error as Error).message}`).catch(() => undefined);
    throw error;
  }
}

async function readQuarantineManifest(container: ContainerClient, name: string) {
  const blob = container.getBlockBlobClient(name);
  if (!(await blob.exists())) return undefined;
  const parsed = quarantineManifest.safeParse(JSON.parse((await blob.downloadToBuffer()).toString("utf8")));
  return parsed.success ? parsed.data : undefined;
}

/** Copies every chunk and metadata document through the verified ingest, then writes and lists the manifest. */
async function copyToCall(
  stores: AssignStores,
  request: AssignRequest,
  sourceManifest: string,
  source: z.infer<typeof quarantineManifest>,
  target: AssignmentTarget,
  retainFrom: string,
  session: CallSession,
  now: () => Date,
): Promise<AssignResult> {
  const { container } = stores;
  const { recordingId, serverCallId } = request;
  const folder = recordingFolder({
    teamId: target.teamId,
    serverCallId,
    recordingId,
    recordingStartTime: source.recording.startTime,
  });
  const archived: ArchivedChunk[] = [];
  let retainUntil: string | undefined;
  let recordingLabels: Record<string, string> = {};
  const protection = (until: string | undefined) => ({
    until: until ? new Date(until) : undefined,
    legalHold: target.retention.legalHold,
  });
  for (const chunk of [...source.chunks].sort((a, b) => a.index - b.index)) {
    const labels = chunkLabels({
      teamId: target.teamId,
      serverCallId,
      recordingId,
      chunkIndex: chunk.index,
      documentId: chunk.documentId,
      retainFrom,
      retentionDays: target.retention.days,
      legalHold: target.retention.legalHold,
    });
    retainUntil = labels.tags.retainuntil;
    const { chunk: _chunk, ...tags } = labels.tags;
    recordingLabels = tags;
    const from = container.getBlobClient(chunk.blob);
    const content = await ingestContent(
      container,
      `${folder}/${basename(chunk.blob)}`,
      async (offset) => {
        const body = (await from.download(offset)).readableStreamBody;
        if (!body) throw new IngestVerificationFailed(`${chunk.blob}: no body`);
        return body;
      },
      { ...stores.ingest, ...labels },
    );
    if (content.sha256 !== chunk.sha256)
      throw new IngestVerificationFailed(`${content.name}: copied SHA-256 ${content.sha256}, archived ${chunk.sha256}`);
    const metadataBody = (await container.getBlobClient(chunk.metadataBlob).download(0)).readableStreamBody;
    if (!metadataBody) throw new IngestVerificationFailed(`${chunk.metadataBlob}: no body`);
    const bytes = await readDocument(metadataBody, chunk.metadataBlob);
    const metadata = await ingestDocument(
      container,
      `${folder}/${basename(chunk.metadataBlob)}`,
      Readable.from([bytes]),
      labels,
    );
    if (metadata.sha256 !== chunk.metadataSha256)
      throw new IngestVerificationFailed(`${metadata.name}: copied SHA-256 differs from the archived one`);
    await stores.retention.protect(content.name, protection(retainUntil));
    await stores.retention.protect(metadata.name, protection(retainUntil));
    archived.push({
      index: chunk.index,
      documentId: chunk.documentId,
      endReason: chunk.endReason,
      content: {
        blob: content.name,
        sizeBytes: content.sizeBytes,
        sha256: content.sha256,
        contentType: content.contentType,
      },
      metadata: {
        blob: metadata.name,
        sha256: metadata.sha256,
        document: acsMetadataDocument.parse(metadata.document),
      },
    });
  }
  const at = now().toISOString();
  const manifest = buildManifest({
    serverCallId,
    correlationId: session.correlationId ?? source.correlationId ?? undefined,
    recordingId,
    recordingStartTime: source.recording.startTime,
    teamId: target.teamId,
    call: {
      ...((session.caller ?? source.call.caller) ? { caller: session.caller ?? source.call.caller ?? undefined } : {}),
      ...((session.callee ?? source.call.callee) ? { callee: session.callee ?? source.call.callee ?? undefined } : {}),
      participants: session.participants.length > 0 ? session.participants : source.call.participants,
      ...((session.startedAt ?? source.call.startedAt)
        ? { startedAt: session.startedAt ?? source.call.startedAt ?? undefined }
        : {}),
    },
    policy: {
      ruleId: target.ruleId,
      policyHash: target.policyHash,
      mode: target.mode,
      ...(retainUntil ? { retainUntil } : {}),
      retainFrom,
      legalHold: target.retention.legalHold,
    },
    correlation: { callId: source.correlation?.callId ?? undefined, via: "assigned" },
    assignment: { from: sourceManifest, by: request.by, at, reason: request.reason },
    chunks: archived,
    archivedAt: at,
    ...(source.timings.firstSeenAt ? { firstSeenAt: source.timings.firstSeenAt } : {}),
  });
  const name = `${folder}/manifest.json`;
  try {
    await writeManifest(container, name, manifest, { metadata: recordingLabels, tags: recordingLabels }, stores.signer);
  } catch (error) {
    // Written by an earlier run of this command that stopped later on: that one stands.
    if (!(error instanceof IngestVerificationFailed)) throw error;
  }
  await stores.retention.protect(name, protection(retainUntil));
  if (!(await indexManifest(container, stores.index, name)))
    throw new IngestVerificationFailed(`${name}: written, but not readable as a manifest`);
  return {
    manifest: name,
    teamId: target.teamId,
    retainUntil,
    legalHold: target.retention.legalHold,
    chunks: archived.length,
    already: false,
  };
}

/** A new blob beside the quarantine copy (which cannot be changed) saying where the recording went. */
async function writeMarker(container: ContainerClient, sourceManifest: string, assigned: object): Promise<void> {
  const name = sourceManifest.replace(/manifest\.json$/, "assigned.json");
  try {
    await ingestDocument(container, name, Readable.from([Buffer.from(JSON.stringify(assigned))]), {
      metadata: {},
      tags: {},
    });
  } catch (error) {
    if (!(error instanceof IngestVerificationFailed)) throw error;
  }
}
