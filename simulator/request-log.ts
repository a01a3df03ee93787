// The ordered record of every ACS REST and storage request, for tests to assert on what the app sent.
import type { RequestLogEntry } from "./types.js";

export class RequestLog {
  private readonly entries: RequestLogEntry[] = [];

  add(entry: RequestLogEntry): void {
    this.entries.push(entry);
  }

  all(): RequestLogEntry[] {
    return this.entries.map((e) => ({ ...e }));
  }
}
