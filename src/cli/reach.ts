/**
 * One-line answers for the CLI when what it talks to is not there: a wrong `--url` or `REDIS_URL` should say which
 * address did not answer and why, not "fetch failed" or a page of ioredis stack traces.
 */
import { createRedisClient, type RedisClient } from "../redis/index.js";

/** A failure the user can fix: printed as it is, without a stack trace. */
export class Unreachable extends Error {
  constructor(message: string) {
    super(message);
    this.name = "Unreachable";
  }
}

const SOCKET_REASONS: Record<string, string> = {
  ECONNREFUSED: "connection refused",
  ENOTFOUND: "no such host",
  EAI_AGAIN: "host name lookup failed",
  ETIMEDOUT: "timed out",
  ECONNRESET: "connection reset",
  EHOSTUNREACH: "host unreachable",
  UND_ERR_CONNECT_TIMEOUT: "connect timed out",
};

/** The socket-level reason inside an error (fetch puts it in `cause`, ioredis at the top), or undefined. */
export function socketReason(error: unknown): string | undefined {
  for (let current: unknown = error, depth = 0; current && depth < 4; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string" && code in SOCKET_REASONS) return `${SOCKET_REASONS[code]} (${code})`;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** An address without its credentials, for messages. */
export function withoutCredentials(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    parsed.search = "";
    return parsed.toString();
  } catch {
    return url.replace(/\/\/[^@/]*@/, "//***@");
  }
}

/** fetch, with "cannot reach <origin>: connection refused (ECONNREFUSED)" instead of "fetch failed". */
export async function fetchOrExplain(url: string, init: RequestInit | undefined, what: string): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch (error) {
    // fetch throws TypeError("fetch failed") with the real reason in `cause` (a socket error, "bad port", …).
    const cause = (error as { cause?: unknown }).cause;
    const reason = socketReason(error) ?? (cause instanceof Error ? cause.message : undefined);
    if (!reason) throw error;
    const origin = (() => {
      try {
        return new URL(url).origin;
      } catch {
        return url;
      }
    })();
    throw new Unreachable(`cannot reach ${what} at ${origin}: ${reason}`);
  }
}

/**
 * Opens a Redis connection for a CLI command, after a probe that answers within seconds: an unreachable REDIS_URL
 * is one line naming it, not ioredis retrying and printing every attempt.
 */
export async function reachRedis(
  url: string,
  options: { maxRetriesPerRequest: number | null },
  timeoutMs = 3_000,
): Promise<RedisClient> {
  const probe = createRedisClient(url, { maxRetriesPerRequest: 0, failFast: true });
  let lastError: unknown;
  probe.on("error", (error: unknown) => (lastError = error));
  try {
    await Promise.race([
      probe.ping(),
      new Promise((_, reject) => setTimeout(() => reject(new Error("no answer")), timeoutMs).unref()),
    ]);
  } catch (error) {
    const reason = socketReason(lastError) ?? socketReason(error) ?? (lastError as Error | undefined)?.message;
    throw new Unreachable(
      `Redis at ${withoutCredentials(url)} does not answer: ${reason ?? (error as Error).message}. ` +
        "Check REDIS_URL (or start the local stack with npm start).",
    );
  } finally {
    probe.disconnect();
  }
  return createRedisClient(url, options);
}
