import { AsyncLocalStorage } from "node:async_hooks";
import { pino, type DestinationStream, type Logger } from "pino";

export type { Logger };

/** The ids that tie a log line to a call's story: the call, its correlation id, and its recording once known. */
export interface CallLogContext {
  serverCallId?: string;
  correlationId?: string;
  recordingId?: string;
}

const callContext = new AsyncLocalStorage<CallLogContext>();

/**
 * Runs `work` (a job, an event) with the call's ids on every log line written inside it, whichever logger
 * writes it. Fields a log call passes itself take precedence, and no key appears twice in a line (pino child
 * bindings would repeat a key the call also passes).
 */
export function withCallContext<T>(context: CallLogContext, work: () => T): T {
  const defined = Object.fromEntries(Object.entries(context).filter(([, value]) => value)) as CallLogContext;
  return callContext.run(defined, work);
}

/** Adds an id learnt during the work (e.g. the recordingId ACS just returned) to the rest of its log lines. */
export function noteCallContext(ids: CallLogContext): void {
  const current = callContext.getStore();
  if (!current) return;
  for (const [key, value] of Object.entries(ids) as [keyof CallLogContext, string | undefined][]) {
    if (value) current[key] = value;
  }
}

/**
 * JSON logs. Secrets, tokens and the incoming call context are redacted wherever they appear,
 * because events are logged whole in debug and a leaked incomingCallContext can answer a call.
 */
export function createLogger(level: string, name: string, destination?: DestinationStream): Logger {
  const options = {
    name,
    level,
    mixin: () => ({ ...callContext.getStore() }),
    // The line's own fields win, except an explicit `undefined`, which must not hide an id the context knows.
    mixinMergeStrategy: (line: object, ids: object) => {
      const merged: Record<string, unknown> = { ...ids, ...line };
      for (const [key, value] of Object.entries(ids)) merged[key] ??= value;
      return merged;
    },
    redact: {
      paths: [
        "*.incomingCallContext",
        "*.*.incomingCallContext",
        "authorization",
        "*.authorization",
        "headers.authorization",
        "*.connectionString",
        "*.accessKey",
        "*.code",
      ],
      censor: "[redacted]",
    },
  };
  return destination ? pino(options, destination) : pino(options);
}
