import type { ContainerClient } from "@azure/storage-blob";
import type { AuditEntry } from "./log.js";

/**
 * The audit trail in Blob storage, append-only: append blobs, one series per UTC day,
 * `<yyyy>/<mm>/<dd>/part-<nnnn>.jsonl`, one JSON entry per line. Entries are only ever added with Append
 * Block — never rewritten. In Azure, pair the container with a time-based immutability policy that allows
 * protected append writes, and even the account owner cannot change what was written.
 *
 * Appends are group-committed: entries that arrive while an append is in flight go together in the next one,
 * so a busy API makes few, larger blocks (an append blob holds at most 50 000). A part that is full
 * (`BlockCountExceedsLimit`) is continued in the next part.
 */
export interface AuditArchive {
  /** Resolves once the entry is in Blob storage. */
  append(entry: AuditEntry): Promise<void>;
  /** A day's entries, oldest first, from a cursor; `filter` selects which ones count towards `limit`. */
  read(day: string, options: ReadOptions): Promise<{ items: AuditEntry[]; nextCursor: string | null }>;
}

export interface ReadOptions {
  cursor?: string | undefined;
  limit: number;
  filter?: (entry: AuditEntry) => boolean;
}

/** One UTC day, `YYYY-MM-DD`. */
export const DAY = /^\d{4}-\d{2}-\d{2}$/;
export const dayOf = (at: string) => new Date(at).toISOString().slice(0, 10);
export const partPrefix = (day: string) => `${day.replace(/-/g, "/")}/part-`;
export const auditBlobName = (day: string, part: number) => `${partPrefix(day)}${String(part).padStart(4, "0")}.jsonl`;

/** Keeps one append comfortably under Append Block's 4 MiB. */
const MAX_APPEND_BYTES = 1024 * 1024;
const READ_WINDOW_BYTES = 1024 * 1024;
/** The first window a read asks for: about what `limit` entries take (entries are bounded: src/audit/log.ts). */
const windowFor = (limit: number) => Math.min(READ_WINDOW_BYTES, Math.max(64 * 1024, limit * 2048));
/** Entries one read looks at before it answers with a cursor. */
const READ_SCAN_BUDGET = 20_000;

interface Pending {
  day: string;
  line: string;
  bytes: number;
  resolve: () => void;
  reject: (error: unknown) => void;
}

const errorCode = (error: unknown) =>
  typeof error === "object" && error !== null && "code" in error ? String(error.code) : undefined;
const statusOf = (error: unknown) =>
  typeof error === "object" && error !== null && "statusCode" in error ? Number(error.statusCode) : undefined;

export function createBlobAuditArchive(container: ContainerClient): AuditArchive {
  const queue: Pending[] = [];
  const currentPart = new Map<string, number>();
  let running: Promise<void> | undefined;

  const appendToDay = async (day: string, text: string) => {
    let part = currentPart.get(day) ?? 0;
    for (let attempt = 0; attempt < 8; attempt++) {
      const blob = container.getAppendBlobClient(auditBlobName(day, part));
      try {
        await blob.appendBlock(text, Buffer.byteLength(text));
        currentPart.set(day, part);
        return;
      } catch (error) {
        if (errorCode(error) === "ContainerNotFound") await container.createIfNotExists();
        else if (statusOf(error) === 404) await blob.createIfNotExists();
        else if (errorCode(error) === "BlockCountExceedsLimit") part++;
        else throw error;
      }
    }
    throw new Error(`audit: could not append to ${auditBlobName(day, part)}`);
  };

  const drain = async () => {
    while (queue.length > 0) {
      const batch: Pending[] = [];
      let bytes = 0;
      while (queue.length > 0 && (batch.length === 0 || bytes + queue[0]!.bytes <= MAX_APPEND_BYTES)) {
        const next = queue.shift()!;
        bytes += next.bytes;
        batch.push(next);
      }
      for (const day of new Set(batch.map((p) => p.day))) {
        const ofDay = batch.filter((p) => p.day === day);
        try {
          await appendToDay(day, ofDay.map((p) => p.line).join(""));
          for (const p of ofDay) p.resolve();
        } catch (error) {
          for (const p of ofDay) p.reject(error);
        }
      }
    }
  };
  const kick = () => {
    if (running) return;
    running = drain().finally(() => {
      running = undefined;
      if (queue.length > 0) kick();
    });
  };

  return {
    append(entry) {
      return new Promise<void>((resolve, reject) => {
        const line = `${JSON.stringify(entry)}\n`;
        queue.push({ day: dayOf(entry.at), line, bytes: Buffer.byteLength(line), resolve, reject });
        kick();
      });
    },

    async read(day, options) {
      const parts: { name: string; size: number }[] = [];
      for await (const blob of container.listBlobsFlat({ prefix: partPrefix(day) }))
        parts.push({ name: blob.name, size: blob.properties.contentLength ?? 0 });
      parts.sort((a, b) => a.name.localeCompare(b.name));
      let [partIndex, offset] = parseCursor(options.cursor);
      const items: AuditEntry[] = [];
      let scanned = 0;
      // A page of a few entries reads a few kilobytes, not a megabyte; the window grows when it must.
      let windowBytes = windowFor(options.limit);
      for (; partIndex < parts.length; partIndex++, offset = 0) {
        const part = parts[partIndex]!;
        while (offset < part.size) {
          const window = await container
            .getBlobClient(part.name)
            .downloadToBuffer(offset, Math.min(windowBytes, part.size - offset));
          const lastNewline = window.lastIndexOf(0x0a);
          if (lastNewline < 0) {
            if (windowBytes >= READ_WINDOW_BYTES || window.length < windowBytes)
              throw new Error(`audit: ${part.name} holds an entry over ${READ_WINDOW_BYTES} bytes`);
            windowBytes = READ_WINDOW_BYTES;
            continue;
          }
          let start = 0;
          while (start <= lastNewline) {
            const end = window.indexOf(0x0a, start);
            const entry = JSON.parse(window.toString("utf8", start, end)) as AuditEntry;
            offset += end + 1 - start;
            start = end + 1;
            scanned++;
            if (!options.filter || options.filter(entry)) items.push(entry);
            const more = offset < part.size || partIndex < parts.length - 1;
            if (items.length === options.limit || scanned >= READ_SCAN_BUDGET)
              return { items, nextCursor: more ? `${partIndex}:${offset}` : null };
          }
        }
      }
      return { items, nextCursor: null };
    },
  };
}

/** `<part>:<byte offset>`; anything else starts at the beginning of the day. */
export function parseCursor(cursor: string | undefined): [number, number] {
  const match = /^(\d{1,6}):(\d{1,15})$/.exec(cursor ?? "");
  return match ? [Number(match[1]), Number(match[2])] : [0, 0];
}

export const isAuditCursor = (cursor: string) => /^\d{1,6}:\d{1,15}$/.test(cursor);
