import { z } from "zod";
import { isInstant } from "./time.js";
import type { CallFacts } from "./types.js";

/** One past call as the ledger exports it: the facts a decision was made on, plus its serverCallId. */
export interface RecordedCall extends CallFacts {
  serverCallId: string;
}

// Loose: the ledger's export carries more (outcome, decision, durations); only the facts are replayed.
const callLine = z.looseObject({
  serverCallId: z.string().min(1),
  participants: z.array(z.string().min(1)),
  caller: z.string().min(1).optional(),
  callee: z.string().min(1).optional(),
  at: z.string().refine(isInstant, "an ISO 8601 time with offset, e.g. 2026-11-23T09:00:00Z").optional(),
  callKey: z.string().min(1).optional(),
});

export class CallsFileError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid calls file:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "CallsFileError";
  }
}

/** Parses JSON Lines of calls (blank lines and `#` comments skipped); problems carry `file:line`. */
export function parseCallsJsonl(file: string, text: string): RecordedCall[] {
  const calls: RecordedCall[] = [];
  const problems: string[] = [];
  text.split("\n").forEach((raw, index) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) return;
    const where = `${file}:${index + 1}`;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch (error) {
      problems.push(`${where}: not JSON (${(error as Error).message})`);
      return;
    }
    const parsed = callLine.safeParse(json);
    if (!parsed.success) {
      problems.push(
        ...parsed.error.issues.map((issue) => `${where}: ${issue.path.join(".") || "(line)"}: ${issue.message}`),
      );
      return;
    }
    const { serverCallId, participants, caller, callee, at, callKey } = parsed.data;
    calls.push({
      serverCallId,
      participants,
      ...(caller ? { caller } : {}),
      ...(callee ? { callee } : {}),
      ...(at ? { at } : {}),
      // The worker samples on the serverCallId, so a replay must too.
      callKey: callKey ?? serverCallId,
    });
  });
  if (problems.length > 0) throw new CallsFileError(problems);
  return calls;
}
