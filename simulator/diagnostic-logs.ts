// ACS's call logs as Azure Monitor diagnostic settings archive them to a storage account: a call-summary record
// per participant when a call ends, a recording-summary record per recording once its files are ready, each
// written after a delay into the hourly JSON-lines blob of its category
// (`insights-logs-<category>/resourceId=/<RESOURCE ID>/y=YYYY/m=MM/d=DD/h=HH/m=00/PT1H.json`). Sources:
// https://learn.microsoft.com/azure/communication-services/concepts/analytics/logs/call-summary-log-schema,
// https://learn.microsoft.com/azure/communication-services/concepts/analytics/logs/recording-logs,
// https://learn.microsoft.com/azure/azure-monitor/essentials/resource-logs (storage layout),
// https://learn.microsoft.com/azure/azure-monitor/essentials/resource-logs-blob-format (JSON lines).
import { randomUUID } from "node:crypto";
import { BlobServiceClient } from "@azure/storage-blob";
import type { Call, Recording } from "./model.js";
import type { Scheduler } from "./scheduler.js";

export interface DiagnosticLogsOptions {
  /** The storage account the diagnostic setting archives to (Azurite locally). */
  connectionString: string;
  /** The ACS resource's ARM id: `/subscriptions/…/providers/Microsoft.Communication/communicationServices/<name>`. */
  armResourceId: string;
  /**
   * How long after the call (or the recording's files) a record is written. Microsoft gives no bound, only
   * "within the standard latency of Azure Monitor resource logs": the default, 3 minutes, is our choice.
   */
  delayMs?: number;
}

export const DEFAULT_DIAGNOSTIC_LOG_DELAY_MS = 3 * 60_000;

const pad = (n: number) => String(n).padStart(2, "0");
const hourFolder = (at: Date) =>
  `y=${at.getUTCFullYear()}/m=${pad(at.getUTCMonth() + 1)}/d=${pad(at.getUTCDate())}/h=${pad(at.getUTCHours())}/m=00/`;

/**
 * How a call summary names a participant: an ACS user as `acs:…` (the raw id without `8:`), a Microsoft 365 user by
 * the bare object id; a phone participant has no identity there (the documented samples show `"null"`).
 */
export function identifierOf(rawId: string): string {
  if (rawId.startsWith("4:")) return "null";
  const teams = /^8:(orgid|gcch|dod):(.+)$/.exec(rawId);
  if (teams) return teams[2]!;
  return rawId.startsWith("8:") ? rawId.slice(2) : rawId;
}

export function endpointTypeOf(rawId: string): string {
  if (rawId.startsWith("4:")) return "PSTN";
  if (rawId.startsWith("28:")) return "Bot";
  return "VoIP";
}

export class DiagnosticLogWriter {
  private readonly blobs: BlobServiceClient;
  private readonly delayMs: number;
  /** Appends to one blob go one after another (an append blob takes blocks in order). */
  private tail: Promise<void> = Promise.resolve();

  constructor(
    private readonly options: DiagnosticLogsOptions,
    private readonly scheduler: Scheduler,
    private readonly log: (line: Record<string, unknown>) => void,
  ) {
    this.blobs = BlobServiceClient.fromConnectionString(options.connectionString);
    this.delayMs = options.delayMs ?? DEFAULT_DIAGNOSTIC_LOG_DELAY_MS;
  }

  /** One record per participant who was on the call (in a recording or on it at the end). */
  callEnded(call: Call, everyone: string[]): void {
    if (!call.startedAt || !call.endedAt) return;
    const startedAt = call.startedAt;
    const durationSeconds = Math.round((call.endedAt.getTime() - startedAt.getTime()) / 1000);
    const group = everyone.length > 2;
    const joined = new Map(call.participants.map((p) => [p.rawId, p]));
    this.later(() =>
      everyone.map((rawId) => ({
        time: new Date().toISOString(),
        resourceId: this.resourcePath(),
        correlationId: call.correlationId,
        operationName: "CallSummary",
        operationVersion: "1.0",
        category: "CallSummary",
        properties: {
          identifier: identifierOf(rawId),
          callStartTime: startedAt.toISOString(),
          callDuration: durationSeconds,
          callType: group ? "Group" : "P2P",
          teamsThreadId: "null",
          participantId: group ? (joined.get(rawId)?.participantId ?? randomUUID()) : "null",
          participantStartTime: (joined.get(rawId)?.joinedAt ?? startedAt).toISOString(),
          participantDuration: String(durationSeconds),
          participantEndReason: "0",
          endpointId: randomUUID(),
          endpointType: endpointTypeOf(rawId),
          sdkVersion: "Redacted",
          osVersion: "Redacted",
        },
      })),
    );
  }

  /** One record per recording, once its files are ready (as the recording logs page says). */
  recordingReady(call: Call, rec: Recording, chunkCount: number, totalMs: number, endReason: string): void {
    const startedAt = rec.activatedAt ?? new Date();
    this.later(() => [
      {
        time: new Date().toISOString(),
        resourceId: this.resourcePath(),
        operationName: "RecordingSummary",
        category: "CallRecordingSummary",
        // Microsoft's example of this category writes its properties in PascalCase.
        properties: {
          TimeGenerated: new Date().toISOString(),
          OperationName: "RecordingSummary",
          Category: "CallRecordingSummary",
          CorrelationId: call.correlationId,
          ResultType: "Succeeded",
          Level: "Informational",
          RecordingId: rec.recordingId,
          RecordingEndReason: endReason,
          RecordingStartTime: startedAt.toISOString(),
          RecordingLength: (totalMs / 1000).toFixed(2),
          ChunkCount: chunkCount,
          ContentType: rec.options.content === "audioVideo" ? "Audio - Video" : "Audio",
          ChannelType: rec.options.channel,
          FormatType: rec.options.format,
          AudioChannelsCount: 1,
        },
      },
    ]);
  }

  /** Waits for the appends under way (tests read the archive after it). */
  async flush(): Promise<void> {
    await this.tail;
  }

  private resourcePath(): string {
    return `/${this.options.armResourceId.replace(/^\//, "").toUpperCase()}`;
  }

  private later(records: () => Array<{ category: string; time: string } & Record<string, unknown>>): void {
    this.scheduler.after(this.delayMs, () => {
      if (this.scheduler.isStopped) return;
      const batch = records();
      this.tail = this.tail
        .then(() => this.append(batch))
        .catch((error: unknown) => {
          this.log({ msg: "diagnostic log not written", error: (error as Error).message });
        });
    });
  }

  private async append(records: Array<{ category: string; time: string } & Record<string, unknown>>): Promise<void> {
    for (const record of records) {
      const container = this.blobs.getContainerClient(`insights-logs-${record.category.toLowerCase()}`);
      await container.createIfNotExists();
      const blob = container.getAppendBlobClient(
        `resourceId=${this.resourcePath()}/${hourFolder(new Date(record.time))}PT1H.json`,
      );
      await blob.createIfNotExists();
      const line = `${JSON.stringify(record)}\n`;
      await blob.appendBlock(line, Buffer.byteLength(line));
    }
  }
}
