import { UnrecoverableError } from "bullmq";

/** ACS answers that retrying cannot change (e.g. 8522: the call is gone) end the job instead of retrying it. */
export function failFastOnPermanentAcsError(error: unknown): never {
  const status = (error as { statusCode?: number }).statusCode;
  const code = (error as { code?: string }).code;
  if (status === 404 || status === 400 || status === 401 || status === 403) {
    throw new UnrecoverableError(`ACS ${status}${code ? ` code ${code}` : ""}: ${(error as Error).message}`);
  }
  throw error;
}
