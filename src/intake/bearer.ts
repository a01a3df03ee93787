import { createRemoteJWKSet, jwtVerify, type JWTVerifyGetKey } from "jose";
import { IntakeError } from "./errors.js";

export interface BearerVerifier {
  /** Resolves when `Authorization: Bearer <jwt>` is valid; otherwise throws IntakeError 401. */
  verify(authorization: string | undefined): Promise<void>;
}

export interface TrustedKeys {
  issuer: string;
  jwks: JWTVerifyGetKey;
}

/** An unknown kid refetches the key set at most once per cooldown, so forged kids cannot flood the key endpoint. */
export function remoteKeys(issuer: string, jwksUrl: string, refreshCooldownMs = 5_000): TrustedKeys {
  return { issuer, jwks: createRemoteJWKSet(new URL(jwksUrl), { cooldownDuration: refreshCooldownMs }) };
}

export function bearerTokenOf(authorization: string | undefined): string | undefined {
  return /^Bearer (\S+)$/i.exec(authorization ?? "")?.[1];
}

/**
 * RS256 JWT verification (signature by `kid`, issuer, audience, expiry) against keys resolved lazily; a failed
 * resolution is not cached, so the next request tries again.
 */
export function createBearerVerifier(
  resolveKeys: () => Promise<TrustedKeys>,
  audience: string,
  what: string,
): BearerVerifier {
  let keys: Promise<TrustedKeys> | undefined;
  return {
    async verify(authorization) {
      const token = bearerTokenOf(authorization);
      if (!token) throw new IntakeError(401, "missing bearer token");
      keys ??= resolveKeys().catch((error: unknown) => {
        keys = undefined;
        throw error;
      });
      const { issuer, jwks } = await keys;
      try {
        await jwtVerify(token, jwks, { issuer, audience, algorithms: ["RS256"], clockTolerance: 30 });
      } catch (error) {
        throw new IntakeError(401, `invalid ${what} token: ${(error as Error).message}`);
      }
    },
  };
}
