import { LogsQueryResultStatus, type LogsQueryClient, type LogsTable } from "@azure/monitor-query-logs";
import { CALL_SUMMARY_CATEGORY, parseRecord, RECORDING_SUMMARY_CATEGORY, type AcsLogRecord } from "./records.js";
import type { ReconcileSource } from "./source.js";

/**
 * ACS's logs from a Log Analytics workspace (docs/reconciliation.md "Sources"): one KQL query per table through
 * `LogsQueryClient.queryWorkspace` (the REST `POST /v1/workspaces/{id}/query`,
 * https://learn.microsoft.com/rest/api/loganalytics/dataaccess/query/execute), the window given as the query's
 * timespan (applied to TimeGenerated). Only the columns we use are asked for.
 */
export const QUERIES: ReadonlyArray<{ category: string; query: string }> = [
  {
    category: CALL_SUMMARY_CATEGORY,
    query:
      "ACSCallSummary | project TimeGenerated, CorrelationId, Identifier, ParticipantId, EndpointType, CallStartTime, CallDuration",
  },
  {
    category: RECORDING_SUMMARY_CATEGORY,
    query:
      "ACSCallRecordingSummary | project TimeGenerated, CorrelationId, RecordingId, RecordingStartTime, RecordingLength, ChunkCount, RecordingEndReason",
  },
];

/** A table's rows as objects by column name; the SDK turns `datetime` columns into Dates, we want ISO strings. */
export function rowsOf(table: LogsTable): Record<string, unknown>[] {
  const names = table.columnDescriptors.map((column) => column.name);
  return table.rows.map((row) =>
    Object.fromEntries(names.map((name, i) => [name, row[i] instanceof Date ? row[i].toISOString() : row[i]])),
  );
}

export function logAnalyticsSource(
  client: Pick<LogsQueryClient, "queryWorkspace">,
  workspaceId: string,
): ReconcileSource {
  return {
    kind: "log-analytics",
    async read(window) {
      const records: AcsLogRecord[] = [];
      const problems: string[] = [];
      const read: string[] = [];
      for (const { category, query } of QUERIES) {
        const result = await client.queryWorkspace(workspaceId, query, { startTime: window.from, endTime: window.to });
        const tables = result.status === LogsQueryResultStatus.Success ? result.tables : result.partialTables;
        // A partial answer may leave calls out: it is reported, so the run alerts rather than looks clean.
        if (result.status === LogsQueryResultStatus.PartialFailure)
          problems.push(`${category}: partial result: ${result.partialError.code}: ${result.partialError.message}`);
        read.push(query);
        tables.flatMap(rowsOf).forEach((row, i) => {
          const parsed = parseRecord(row, category);
          if ("record" in parsed) records.push(parsed.record);
          else if ("problem" in parsed) problems.push(`${category} row ${i + 1}: ${parsed.problem}`);
        });
      }
      return { records, problems, read };
    },
  };
}
