import { pino, type DestinationStream, type Logger } from "pino";

export type { Logger };

/** The ids that tie a log line to a call's story: the call, its correlation id, and its recording once known. */
export interface CallLogContext {
  serverCallId?: string;
  correlationId?: string;
  recordingId?: string;
}

/** Where a call logger keeps its ids: a property pino's child loggers inherit (they are Object.create(parent)). */
const CALL_IDS = Symbol("callIds");
type WithCallIds = Logger & { [CALL_IDS]?: CallLogContext };

/**
 * A logger for one job or event: every line written with it, or with a child of it, carries the call's ids.
 * Fields a log call passes itself take precedence, and no key appears twice in a line (pino child bindings
 * would repeat a key the call also passes).
 */
export function callLogger(logger: Logger, ids: CallLogContext): Logger {
  const child = logger.child({}) as WithCallIds;
  child[CALL_IDS] = Object.fromEntries(Object.entries(ids).filter(([, value]) => value)) as CallLogContext;
  return child;
}

/** Adds an id learnt during the work (e.g. the recordingId ACS just returned) to the rest of its log lines. */
export function noteCallContext(logger: Logger, ids: CallLogContext): void {
  const current = (logger as WithCallIds)[CALL_IDS];
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
    // The ids of the call logger the line is written with (explicit, passed in with the job's dependencies;
    // AsyncLocalStorage would do it implicitly, at the price of promise hooks on every await of the worker).
    mixin: (_line: object, _level: number, logger: Logger) => ({ ...(logger as WithCallIds)[CALL_IDS] }),
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
