import type { BlobServiceClient } from "@azure/storage-blob";
import { CALL_SUMMARY_CATEGORY, parseJsonLines, RECORDING_SUMMARY_CATEGORY, type AcsLogRecord } from "./records.js";

/** A time window, `from` included, `to` excluded. */
export interface TimeWindow {
  from: Date;
  to: Date;
}

export interface SourceRead {
  records: AcsLogRecord[];
  /** Lines or blobs that could not be read: reported, never silently dropped. */
  problems: string[];
  /** What was read, for the report (blob names, or the query). */
  read: string[];
}

/** Where ACS's call logs are read from (docs/reconciliation.md "Sources"), chosen by RECONCILE_SOURCE. */
export interface ReconcileSource {
  readonly kind: "storage" | "log-analytics";
  /** Every call-summary and recording-summary record logged in the window. */
  read(window: TimeWindow): Promise<SourceRead>;
}

/** `insights-logs-<category in lower case>` (docs/reconciliation.md "How diagnostic settings archive them"). */
export const containerOf = (category: string) => `insights-logs-${category.toLowerCase()}`;

const pad = (n: number) => String(n).padStart(2, "0");

/** The `y=…/m=…/d=…/h=…/m=00/` folder of one UTC hour. */
export function hourFolder(hour: Date): string {
  return `y=${hour.getUTCFullYear()}/m=${pad(hour.getUTCMonth() + 1)}/d=${pad(hour.getUTCDate())}/h=${pad(hour.getUTCHours())}/m=00/`;
}

/** The UTC hours a window touches, each as the start of its hour. */
export function hoursOf(window: TimeWindow): Date[] {
  const hours: Date[] = [];
  const first = Math.floor(window.from.getTime() / 3_600_000) * 3_600_000;
  for (let at = first; at < window.to.getTime(); at += 3_600_000) hours.push(new Date(at));
  return hours;
}

/**
 * The storage-account archive diagnostic settings write: for each category's container and each hour of the
 * window, the hourly blobs (`…/y=YYYY/m=MM/d=DD/h=HH/m=00/PT1H.json`), read as JSON lines. With the ACS
 * resource's ARM id the hour's folder is listed by prefix; without it, the container's blobs are listed once and
 * kept by their hour folder (any ACS resource writing to the account is read).
 */
export function storageSource(
  blobs: BlobServiceClient,
  options: { resourceId?: string | undefined } = {},
): ReconcileSource {
  const resourcePrefix = options.resourceId
    ? `resourceId=/${options.resourceId.replace(/^\//, "").toUpperCase()}/`
    : undefined;
  return {
    kind: "storage",
    async read(window) {
      const records: AcsLogRecord[] = [];
      const problems: string[] = [];
      const read: string[] = [];
      const folders = hoursOf(window).map(hourFolder);
      for (const category of [CALL_SUMMARY_CATEGORY, RECORDING_SUMMARY_CATEGORY]) {
        const container = blobs.getContainerClient(containerOf(category));
        if (!(await container.exists())) {
          // Created by Azure only once the first record of its category is written.
          problems.push(`container ${container.containerName} does not exist (no ${category} record archived yet?)`);
          continue;
        }
        const names: string[] = [];
        if (resourcePrefix) {
          for (const folder of folders)
            for await (const blob of container.listBlobsFlat({ prefix: resourcePrefix + folder }))
              names.push(blob.name);
        } else {
          const wanted = new Set(folders);
          for await (const blob of container.listBlobsFlat({ prefix: "resourceId=" })) {
            const folder = /y=\d{4}\/m=\d{2}\/d=\d{2}\/h=\d{2}\/m=00\/$/.exec(
              blob.name.slice(0, blob.name.lastIndexOf("/") + 1),
            );
            if (folder && wanted.has(folder[0]) && blob.name.endsWith(".json")) names.push(blob.name);
          }
        }
        for (const name of names.sort()) {
          const where = `${container.containerName}/${name}`;
          try {
            const text = (await container.getBlobClient(name).downloadToBuffer()).toString("utf8");
            const parsed = parseJsonLines(text, where);
            records.push(...parsed.records);
            problems.push(...parsed.problems);
            read.push(where);
          } catch (error) {
            problems.push(`${where}: ${(error as Error).message}`);
          }
        }
      }
      return { records, problems, read };
    },
  };
}
