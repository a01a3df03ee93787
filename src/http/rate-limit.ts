import type Koa from "koa";
import type { TokenStore } from "../auth/index.js";
import { IntakeError } from "../intake/index.js";

/**
 * Fixed-window request counting (per minute by default), in this process's memory: nothing an anonymous caller
 * sends is written to Redis. Memory is bounded: the windows hold at most `maxKeys` keys each, and keys beyond
 * that share one overflow count (so a flood from many addresses is limited as one).
 */
export interface RateLimiter {
  /** Counts one request of `key`; undefined if within `limit` per window, else the seconds until the window ends. */
  take(key: string, limit: number): number | undefined;
}

export function createRateLimiter(options: { windowMs?: number; maxKeys?: number; now?: () => number } = {}) {
  const windowMs = options.windowMs ?? 60_000;
  const maxKeys = options.maxKeys ?? 100_000;
  const now = options.now ?? Date.now;
  let windowStart = 0;
  let counts = new Map<string, number>();
  return {
    take(key: string, limit: number): number | undefined {
      const at = now();
      if (at - windowStart >= windowMs) {
        windowStart = at - (at % windowMs);
        counts = new Map();
      }
      const slot = counts.has(key) || counts.size < maxKeys ? key : "\0overflow";
      const count = (counts.get(slot) ?? 0) + 1;
      counts.set(slot, count);
      return count > limit ? Math.max(1, Math.ceil((windowStart + windowMs - at) / 1000)) : undefined;
    },
  } satisfies RateLimiter;
}

export interface RateLimits {
  /** Requests per window from one client address (0: no limit). */
  perAddress: number;
  /** Requests per window with one API token (0: no limit). */
  perToken: number;
}

/** Which requests are limited: the APIs and the admin pages; intake (Event Grid, ACS callbacks) never is. */
export const isLimitedPath = (path: string) =>
  (path.startsWith("/api/") && path !== "/api/eventgrid" && path !== "/api/callbacks") ||
  path === "/admin" ||
  path.startsWith("/admin/");

/**
 * 429 with Retry-After once a client address (ctx.ip: see TRUST_PROXY) or an API token has used its requests of
 * the current window. The token count is keyed by the token's name, so every replica of a client shares it.
 */
export function rateLimit(limits: RateLimits, tokens: TokenStore | undefined, limiter: RateLimiter): Koa.Middleware {
  return async (ctx, next) => {
    if (!isLimitedPath(ctx.path)) return next();
    const refuse = (retryAfter: number, who: string) => {
      ctx.set("Retry-After", String(retryAfter));
      throw new IntakeError(429, `too many requests from this ${who}: try again in ${retryAfter} s`);
    };
    if (limits.perAddress > 0) {
      const wait = limiter.take(`ip:${ctx.ip}`, limits.perAddress);
      if (wait !== undefined) refuse(wait, "address");
    }
    const authorization = ctx.get("authorization");
    if (limits.perToken > 0 && authorization && tokens) {
      const principal = tokens.authenticate(authorization);
      const wait = principal ? limiter.take(`token:${principal.name}`, limits.perToken) : undefined;
      if (wait !== undefined) refuse(wait, "token");
    }
    return next();
  };
}
