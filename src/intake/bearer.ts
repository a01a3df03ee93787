import {
  createLocalJWKSet,
  decodeProtectedHeader,
  errors,
  jwtVerify,
  type JSONWebKeySet,
  type JWTPayload,
  type JWTVerifyGetKey,
} from "jose";
import { IntakeError } from "./errors.js";

export interface BearerVerifier {
  /** Resolves when `Authorization: Bearer <jwt>` is valid; otherwise throws IntakeError 401 (503: keys unavailable). */
  verify(authorization: string | undefined): Promise<void>;
}

export interface TrustedKeys {
  issuer: string;
  jwks: JWTVerifyGetKey;
}

/** How often the key endpoints may be asked: anyone on the internet can send us a token. */
export interface FetchLimits {
  /** An unknown `kid` (key rotation) refetches the key set at most once per this long. */
  refreshCooldownMs?: number;
  /** After a failed fetch, no other for this long: requests meanwhile are answered 503 at once. */
  failureCooldownMs?: number;
  /** Keys older than this are fetched again (the old ones stay in use should that fail). */
  maxAgeMs?: number;
  now?: () => number;
}

const DEFAULT_LIMITS = { refreshCooldownMs: 5_000, failureCooldownMs: 30_000, maxAgeMs: 10 * 60_000 };
const FETCH_TIMEOUT_MS = 5_000;

/** Thrown while a failed fetch of keys or metadata is remembered (the negative cache). */
export class KeysUnavailableError extends Error {
  constructor(
    readonly what: string,
    cause: unknown,
  ) {
    super(`${what} unavailable: ${(cause as Error)?.message ?? String(cause)}`);
    this.name = "KeysUnavailableError";
  }
}

/**
 * A value fetched once and kept, with a negative cache: concurrent callers share one fetch, and after a failure
 * every caller gets the same error without a new fetch until `failureCooldownMs` has passed (20 bad requests
 * while the endpoint is down make one outbound request, not 20).
 */
export function fetchedOnce<T>(
  what: string,
  load: () => Promise<T>,
  limits: Pick<FetchLimits, "failureCooldownMs" | "now"> = {},
): () => Promise<T> {
  const now = limits.now ?? Date.now;
  const cooldown = limits.failureCooldownMs ?? DEFAULT_LIMITS.failureCooldownMs;
  let value: Promise<T> | undefined;
  let failed: { at: number; error: KeysUnavailableError } | undefined;
  return () => {
    if (value) return value;
    if (failed && now() - failed.at < cooldown) return Promise.reject(failed.error);
    const pending = load().then(
      (loaded) => {
        failed = undefined;
        return loaded;
      },
      (error: unknown) => {
        failed = { at: now(), error: new KeysUnavailableError(what, error) };
        value = undefined;
        throw failed.error;
      },
    );
    value = pending;
    return pending;
  };
}

/** GETs JSON with a timeout; any other status than 200 is a failure. */
export async function fetchJson(url: string): Promise<unknown> {
  const response = await fetch(url, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
  if (!response.ok) throw new Error(`${url} answered ${response.status}`);
  return response.json();
}

/**
 * A JSON Web Key Set fetched from `jwksUrl` and kept: refreshed when older than `maxAgeMs`, or on an unknown
 * `kid` at most once per `refreshCooldownMs` (rotation); a failed fetch is remembered for `failureCooldownMs`
 * (no fetch meanwhile; keys already held stay in use). jose's remote key set retries a failed fetch on every
 * request, which would let anyone make us hammer the endpoint while it is down.
 */
export function remoteKeySet(jwksUrl: string, limits: FetchLimits = {}): JWTVerifyGetKey {
  const now = limits.now ?? Date.now;
  const { refreshCooldownMs, failureCooldownMs, maxAgeMs } = { ...DEFAULT_LIMITS, ...stripUndefined(limits) };
  let local: JWTVerifyGetKey | undefined;
  let fetchedAt = 0;
  let attemptedAt = -Infinity;
  let failed: { at: number; error: KeysUnavailableError } | undefined;
  let pending: Promise<void> | undefined;

  const reload = () =>
    (pending ??= (async () => {
      attemptedAt = now();
      try {
        const set = (await fetchJson(jwksUrl)) as JSONWebKeySet;
        local = createLocalJWKSet(set); // throws on a body that is not a key set
        fetchedAt = now();
        failed = undefined;
      } catch (error) {
        failed = { at: now(), error: new KeysUnavailableError("token signing keys", error) };
      } finally {
        pending = undefined;
      }
    })());
  const coolingAfterFailure = () => failed !== undefined && now() - failed.at < failureCooldownMs;

  return async (header, token) => {
    if (!local || now() - fetchedAt > maxAgeMs) {
      if (!coolingAfterFailure()) await reload();
      if (!local) throw failed?.error ?? new KeysUnavailableError("token signing keys", "not fetched");
    }
    try {
      return await local(header, token);
    } catch (error) {
      if (!(error instanceof errors.JWKSNoMatchingKey)) throw error;
      if (now() - attemptedAt < refreshCooldownMs || coolingAfterFailure()) throw error;
      await reload();
      return local(header, token);
    }
  };
}

/** Fixed issuer and keys from a known key set URL (Entra: the tenant's). */
export function remoteKeys(issuer: string, jwksUrl: string, limits: FetchLimits = {}): TrustedKeys {
  return { issuer, jwks: remoteKeySet(jwksUrl, limits) };
}

export function bearerTokenOf(authorization: string | undefined): string | undefined {
  return /^Bearer (\S+)$/i.exec(authorization ?? "")?.[1];
}

export interface BearerOptions {
  /** After a failed fetch of the issuer's metadata, none for this long. */
  failureCooldownMs?: number;
  now?: () => number;
  /** Checks of the verified claims beyond issuer, audience and expiry: the reason to refuse, or undefined. */
  authorize?: (claims: JWTPayload) => string | undefined;
}

/**
 * RS256 JWT verification (signature by `kid`, issuer, audience, expiry, then `authorize`) against keys resolved
 * lazily. What is not a well-formed RS256 JWT with a `kid` is refused before any key is looked up, so garbage
 * never causes an outbound request; a failed resolution is remembered (see fetchedOnce).
 */
export function createBearerVerifier(
  resolveKeys: () => Promise<TrustedKeys>,
  audience: string,
  what: string,
  options: BearerOptions = {},
): BearerVerifier {
  const keys = fetchedOnce(`${what} token issuer metadata`, resolveKeys, options);
  return {
    async verify(authorization) {
      const token = bearerTokenOf(authorization);
      if (!token) throw new IntakeError(401, "missing bearer token");
      let header;
      try {
        header = decodeProtectedHeader(token);
      } catch {
        throw new IntakeError(401, `invalid ${what} token: not a JWT`);
      }
      if (header.alg !== "RS256" || typeof header.kid !== "string" || token.split(".").length !== 3)
        throw new IntakeError(401, `invalid ${what} token: not an RS256 JWT with a key id`);
      let claims: JWTPayload;
      try {
        const { issuer, jwks } = await keys();
        ({ payload: claims } = await jwtVerify(token, jwks, {
          issuer,
          audience,
          algorithms: ["RS256"],
          clockTolerance: 30,
        }));
      } catch (error) {
        if (error instanceof KeysUnavailableError)
          throw new IntakeError(503, `cannot verify ${what} tokens now: ${error.what} unavailable`);
        throw new IntakeError(401, `invalid ${what} token: ${(error as Error).message}`);
      }
      const refused = options.authorize?.(claims);
      if (refused) throw new IntakeError(401, `invalid ${what} token: ${refused}`);
    },
  };
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
