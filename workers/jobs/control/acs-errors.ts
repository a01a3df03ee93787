import { UnrecoverableError } from "bullmq";
import { classifyAcsError, type AcsErrorMeaning } from "../../../src/acs/index.js";
import type { Logger } from "../../../src/log.js";

/**
 * Logs what an ACS failure means and rethrows it so BullMQ retries it with backoff — or, when retrying cannot
 * change the answer (the call is gone, the operation is not allowed), ends the job with the reason.
 * The SDK itself has already retried 408/429/5xx up to 3 times, honouring Retry-After on 429 and 503.
 */
export function rethrowAcsError(error: unknown, logger: Logger, context: Record<string, unknown>, what: string): never {
  const meaning: AcsErrorMeaning = classifyAcsError(error);
  logger.warn(
    { ...context, outcome: meaning.outcome, retry: meaning.retry, reason: meaning.description },
    `${what} failed`,
  );
  if (!meaning.retry) throw new UnrecoverableError(`${what}: ${meaning.description}`);
  throw error;
}
