import { pino, type Logger } from "pino";

export type { Logger };

/**
 * JSON logs. Secrets, tokens and the incoming call context are redacted wherever they appear,
 * because events are logged whole in debug and a leaked incomingCallContext can answer a call.
 */
export function createLogger(level: string, name: string): Logger {
  return pino({
    name,
    level,
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
  });
}
